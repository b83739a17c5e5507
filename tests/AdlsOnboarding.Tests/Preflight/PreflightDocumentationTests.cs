using System.Reflection;
using AdlsOnboarding.Workflow.Preflight;

namespace AdlsOnboarding.Tests.Preflight;

/// <summary>
/// Every pre-flight error and warning code is explained in <c>docs/preflight.md</c>, which the README links, and named
/// in the OpenAPI documents (the 422's errorCode, the warning).
/// </summary>
public sealed class PreflightDocumentationTests
{
    private static readonly string Root = AdlsOnboarding.Tests.Api.LocalFiles.Root;

    public static TheoryData<string> Codes()
    {
        TheoryData<string> data = [];
        foreach (Type type in new[] { typeof(PreflightErrorCodes), typeof(PreflightWarningCodes) })
        {
            foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
            {
                data.Add((string)field.GetRawConstantValue()!);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void PreflightDoc_ExplainsEveryCode(string code)
    {
        string doc = File.ReadAllText(Path.Combine(Root, "docs", "preflight.md"));

        Assert.Contains($"| `{code}` |", doc, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void OpenApiDocuments_NameEveryCode(string code)
    {
        foreach (string document in new[] { "openapi.json", "swagger.json" })
        {
            Assert.Contains(code, File.ReadAllText(Path.Combine(Root, "docs", document)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Readme_LinksThePreflightDoc()
    {
        Assert.Contains("preflight.md", File.ReadAllText(Path.Combine(Root, "README.md")), StringComparison.Ordinal);
    }
}
