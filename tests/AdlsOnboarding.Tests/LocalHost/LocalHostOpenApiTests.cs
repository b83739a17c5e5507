using System.Text.Json;
using AdlsOnboarding.Tests.Api;
using AdlsOnboarding.Tests.Infrastructure;

namespace AdlsOnboarding.Tests.LocalHost;

/// <summary>The local host serves the documents and every operation they describe.</summary>
public sealed class LocalHostOpenApiTests
{
    [Fact]
    public async Task LocalHost_ServesBothDocumentsAndEveryDocumentedOperation()
    {
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync();

        ApiResponse v3 = await harness.GetAsync("/api/openapi.json");
        ApiResponse v2 = await harness.GetAsync("/api/swagger.json");
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(LocalFiles.Root, "docs", "openapi.json")), v3.Body);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(LocalFiles.Root, "docs", "swagger.json")), v2.Body);

        using JsonDocument document = JsonDocument.Parse(v3.Body);
        foreach (JsonProperty path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (JsonProperty operation in path.Value.EnumerateObject())
            {
                string url = path.Name.Replace("{instanceId}", "onboard-prod-nothere", StringComparison.Ordinal);
                using HttpRequestMessage request = new(new HttpMethod(operation.Name.ToUpperInvariant()), url) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
                ApiResponse response = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(request));
                HashSet<string> documented = [.. operation.Value.GetProperty("responses").EnumerateObject().Select(r => r.Name)];

                Assert.True(documented.Contains(response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"{operation.Name} {path.Name} answered {response.Status}, not documented");
            }
        }
    }
}
