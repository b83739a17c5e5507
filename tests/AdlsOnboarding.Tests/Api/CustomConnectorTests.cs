using System.Text.Json;
using AdlsOnboarding.Api;

namespace AdlsOnboarding.Tests.Api;

/// <summary>
/// docs/swagger.json as a Logic Apps custom connector imports it: a host, scheme and base path; a title for every
/// parameter (x-ms-summary) and a description for every operation; the operations a workflow never calls itself
/// hidden (x-ms-visibility: internal).
/// </summary>
public sealed class CustomConnectorTests
{
    private static async Task<JsonElement> SwaggerAsync() => JsonDocument.Parse(await OnboardingOpenApi.Swagger2JsonAsync()).RootElement;

    private static IEnumerable<(string Key, JsonElement Operation)> Operations(JsonElement swagger) =>
        swagger.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => ($"{op.Name.ToUpperInvariant()} {path.Name}", op.Value)));

    [Fact]
    public async Task Swagger_HostSchemeAndBasePathForTheImport()
    {
        JsonElement swagger = await SwaggerAsync();

        Assert.Equal(OnboardingOpenApi.PlaceholderHost, swagger.GetProperty("host").GetString());
        Assert.Equal("/", swagger.GetProperty("basePath").GetString());
        Assert.Equal(["https"], swagger.GetProperty("schemes").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task Swagger_EveryOperationDescribedEveryParameterTitled()
    {
        foreach ((string key, JsonElement operation) in Operations(await SwaggerAsync()))
        {
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), key);
            Assert.False(string.IsNullOrWhiteSpace(operation.TryGetProperty("description", out JsonElement d) ? d.GetString() : null), $"{key} has no description.");
            foreach (JsonElement parameter in operation.TryGetProperty("parameters", out JsonElement parameters) ? parameters.EnumerateArray() : Enumerable.Empty<JsonElement>())
            {
                Assert.True(parameter.TryGetProperty("x-ms-summary", out JsonElement title) && !string.IsNullOrWhiteSpace(title.GetString()), $"{key}: parameter {parameter.GetProperty("name")} has no x-ms-summary.");
            }
        }
    }

    [Fact]
    public async Task Swagger_StatusAndDocumentOperationsInternalTheRestVisible()
    {
        Dictionary<string, string?> visibility = Operations(await SwaggerAsync()).ToDictionary(
            o => o.Operation.GetProperty("operationId").GetString()!,
            o => o.Operation.TryGetProperty("x-ms-visibility", out JsonElement v) ? v.GetString() : null);

        Assert.Equal(["GetOnboardingStatus", "GetOpenApiDocument", "GetSwaggerDocument"], visibility.Where(v => v.Value == "internal").Select(v => v.Key).Order());
        Assert.All(visibility.Where(v => v.Value != "internal"), v => Assert.Null(v.Value));
    }

    [Theory]
    [InlineData("/api/onboardings", "post")]
    [InlineData("/api/onboardings/{instanceId}", "get")]
    [InlineData("/api/accounts/{sandbox}/{account}", "delete")]
    public async Task Swagger_RoutesThatHandOutStatusUrlsDocument503WhileStarting(string path, string method)
    {
        JsonElement responses = (await SwaggerAsync()).GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");

        Assert.True(responses.TryGetProperty("503", out _));
    }
}
