using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdlsOnboarding.Api;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace AdlsOnboarding.Tests.Api;

/// <summary>The OpenAPI documents, the checked-in copies and the routes both hosts serve cannot drift apart.</summary>
public sealed class OpenApiDocumentTests
{
    private static readonly string Root = LocalFiles.Root;

    public static TheoryData<string> Documents() => ["openapi.json", "swagger.json"];

    private static Task<string> GeneratedAsync(string file) => file == "openapi.json" ? OnboardingOpenApi.OpenApi3JsonAsync() : OnboardingOpenApi.Swagger2JsonAsync();

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task CheckedInDocument_EqualsWhatTheHostsServe(string file)
    {
        string checkedIn = await File.ReadAllTextAsync(Path.Combine(Root, "docs", file));

        Assert.True(checkedIn == await GeneratedAsync(file), $"docs/{file} is stale: run `dotnet src/AdlsOnboarding.LocalHost/bin/Debug/net10.0/AdlsOnboarding.LocalHost.dll write-openapi docs`.");
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Document_ParsesWithoutErrorsAtItsVersion(string file)
    {
        ReadResult result = OpenApiDocument.Parse(await GeneratedAsync(file), "json", new OpenApiReaderSettings());

        Assert.Empty(result.Diagnostic!.Errors);
        Assert.Equal(file == "openapi.json" ? OpenApiSpecVersion.OpenApi3_0 : OpenApiSpecVersion.OpenApi2_0, result.Diagnostic.SpecificationVersion);
        Assert.Contains("functionKey", result.Document!.Components!.SecuritySchemes!.Keys);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Document_DescribesExactlyTheRoutesTheFunctionsAppServes(string file)
    {
        using JsonDocument document = JsonDocument.Parse(await GeneratedAsync(file));
        HashSet<string> documented = [.. document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => $"{o.Name.ToUpperInvariant()} {p.Name}"))];

        using JsonDocument metadata = JsonDocument.Parse(await File.ReadAllTextAsync(LocalFiles.FunctionsMetadata));
        HashSet<string> served = [.. metadata.RootElement.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "httpTrigger")
            .SelectMany(b => b.GetProperty("methods").EnumerateArray().Select(m => $"{m.GetString()!.ToUpperInvariant()} /api/{b.GetProperty("route").GetString()}"))];

        Assert.Equal(served.Order(), documented.Order());
        Assert.Equal(OnboardingOpenApi.Routes.Select(r => $"{r.Method} {r.Path}").Order(), documented.Order());
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Document_EveryPatternAndMaxLength_ComesFromValidationRules(string file)
    {
        using JsonDocument document = JsonDocument.Parse(await GeneratedAsync(file));
        FieldInfo[] rules = typeof(ValidationRules).GetFields(BindingFlags.Public | BindingFlags.Static);
        HashSet<string> patterns = [.. rules.Where(f => f.IsLiteral && f.Name.EndsWith("Pattern", StringComparison.Ordinal)).Select(f => (string)f.GetRawConstantValue()!)];
        HashSet<int> lengths = [.. rules.Where(f => f.IsLiteral && f.FieldType == typeof(int) && f.Name.StartsWith("Max", StringComparison.Ordinal)).Select(f => (int)f.GetRawConstantValue()!)];
        List<string> foreign = [];

        foreach (JsonElement element in Descendants(document.RootElement).Where(e => e.ValueKind == JsonValueKind.Object))
        {
            if (element.TryGetProperty("pattern", out JsonElement pattern) && pattern.ValueKind == JsonValueKind.String && !patterns.Contains(pattern.GetString()!))
            {
                foreign.Add(pattern.GetString()!);
            }

            if (element.TryGetProperty("maxLength", out JsonElement maxLength) && !lengths.Contains(maxLength.GetInt32()))
            {
                foreign.Add(maxLength.GetRawText());
            }
        }

        Assert.Empty(foreign);
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Document_EachValidatedFieldCarriesItsRule(string file)
    {
        using JsonDocument document = JsonDocument.Parse(await GeneratedAsync(file));
        JsonElement root = document.RootElement;
        JsonElement schemas = file == "openapi.json" ? root.GetProperty("components").GetProperty("schemas") : root.GetProperty("definitions");

        foreach (string schema in new[] { "OnboardingRequest", "AccountRegistration" })
        {
            JsonElement properties = schemas.GetProperty(schema).GetProperty("properties");
            Assert.Equal(ValidationRules.StorageAccountUrlPattern, properties.GetProperty("storageAccountUrl").GetProperty("pattern").GetString());
            Assert.Equal(ValidationRules.GuidPattern, properties.GetProperty("clientId").GetProperty("pattern").GetString());
            Assert.Equal(ValidationRules.TenantPattern, properties.GetProperty("tenant").GetProperty("pattern").GetString());
            Assert.Equal(ValidationRules.MaxTenantLength, properties.GetProperty("tenant").GetProperty("maxLength").GetInt32());
            Assert.Equal(ValidationRules.SecretNamePattern, properties.GetProperty("secretName").GetProperty("pattern").GetString());
            Assert.Equal(ValidationRules.SecretVersionPattern, properties.GetProperty("secretVersion").GetProperty("pattern").GetString());
            Assert.Equal(ValidationRules.ConnectionNamePattern, properties.GetProperty("connectionName").GetProperty("pattern").GetString());
            Assert.Equal(ValidationRules.MaxConnectionNameLength, properties.GetProperty("connectionName").GetProperty("maxLength").GetInt32());
            Assert.Equal(ValidationRules.MaxDescriptionLength, properties.GetProperty("description").GetProperty("maxLength").GetInt32());
        }

        JsonElement sandbox = schemas.GetProperty("OnboardingRequest").GetProperty("properties").GetProperty("sandbox");
        Assert.Equal(ValidationRules.SandboxPattern, sandbox.GetProperty("pattern").GetString());
        Assert.Equal(ValidationRules.MaxSandboxLength, sandbox.GetProperty("maxLength").GetInt32());

        // Route and query parameters: 3.0 puts the rule in the parameter's schema, 2.0 on the parameter itself.
        List<JsonElement> parameters = [.. root.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject())
            .Where(o => o.Value.TryGetProperty("parameters", out _))
            .SelectMany(o => o.Value.GetProperty("parameters").EnumerateArray())];
        JsonElement Rule(JsonElement parameter) => parameter.TryGetProperty("schema", out JsonElement schema) ? schema : parameter;
        List<JsonElement> sandboxes = [.. parameters.Where(p => p.GetProperty("name").GetString() == "sandbox").Select(Rule)];
        List<JsonElement> accounts = [.. parameters.Where(p => p.GetProperty("name").GetString() == "account").Select(Rule)];

        Assert.Equal(4, sandboxes.Count); // PUT, GET, DELETE of one account, and the list's filter
        Assert.All(sandboxes, s => Assert.Equal(ValidationRules.SandboxPattern, s.GetProperty("pattern").GetString()));
        Assert.All(sandboxes, s => Assert.Equal(ValidationRules.MaxSandboxLength, s.GetProperty("maxLength").GetInt32()));
        Assert.Equal(3, accounts.Count);
        Assert.All(accounts, a => Assert.Equal(ValidationRules.AccountNamePattern, a.GetProperty("pattern").GetString()));
    }

    [Fact]
    public void ValidationRules_EveryPattern_ReadsTheSameInEcmaScript()
    {
        // OpenAPI patterns are ECMAScript regular expressions: a .NET-only construct would mean another rule there.
        foreach (FieldInfo field in typeof(ValidationRules).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.Name.EndsWith("Pattern", StringComparison.Ordinal)))
        {
            string pattern = (string)field.GetRawConstantValue()!;
            _ = new Regex(pattern, RegexOptions.ECMAScript);
            Assert.StartsWith("^", pattern, StringComparison.Ordinal);
            Assert.EndsWith("$", pattern, StringComparison.Ordinal);
        }
    }

    private static IEnumerable<JsonElement> Descendants(JsonElement element)
    {
        yield return element;
        IEnumerable<JsonElement> children = element.ValueKind switch
        {
            JsonValueKind.Object => element.EnumerateObject().Select(p => p.Value),
            JsonValueKind.Array => element.EnumerateArray(),
            _ => [],
        };
        foreach (JsonElement descendant in children.SelectMany(Descendants))
        {
            yield return descendant;
        }
    }

    [Fact]
    public async Task StatusOperation_NeedsNoKey_StartNeedsTheFunctionKey()
    {
        using JsonDocument document = JsonDocument.Parse(await OnboardingOpenApi.Swagger2JsonAsync());
        JsonElement paths = document.RootElement.GetProperty("paths");

        // No document-wide requirement: an operation without one is anonymous.
        Assert.False(document.RootElement.TryGetProperty("security", out _));
        JsonElement status = paths.GetProperty("/api/onboardings/{instanceId}").GetProperty("get");
        Assert.True(!status.TryGetProperty("security", out JsonElement statusSecurity) || statusSecurity.GetArrayLength() == 0);
        Assert.True(paths.GetProperty("/api/onboardings").GetProperty("post").GetProperty("security")[0].TryGetProperty("functionKey", out _));
        Assert.Equal("header", document.RootElement.GetProperty("securityDefinitions").GetProperty("functionKey").GetProperty("in").GetString());
    }
}

/// <summary>Paths of repository files the tests check.</summary>
public static class LocalFiles
{
    public static string Root { get; } = FindRoot();

    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    public static string FunctionsMetadata => Path.Combine(Root, "src", "AdlsOnboarding.Functions", "bin", Configuration, "net10.0", "functions.metadata");

    private static string FindRoot()
    {
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }
}
