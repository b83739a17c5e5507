using System.Text.Json;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Api;
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
