using System.Text.Json;
using AdlsOnboarding.Tests.Api;
using AdlsOnboarding.Tests.Infrastructure;
using Azure.Data.Tables;

namespace AdlsOnboarding.Tests.Reliability;

/// <summary>Nobody gets in without a key (or, for the status URL, its signed token), and a refused call changes nothing.</summary>
public sealed class AuthenticationTests
{
    [Fact]
    public void FunctionsApp_EveryHttpTriggerNeedsAFunctionKey_ButTheStatusRoute()
    {
        using JsonDocument metadata = JsonDocument.Parse(File.ReadAllText(LocalFiles.FunctionsMetadata));
        Dictionary<string, string> levels = metadata.RootElement.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger").Select(b => (Name: f.GetProperty("name").GetString()!, Binding: b)))
            .ToDictionary(x => x.Name, x => x.Binding.GetProperty("authLevel").GetString()!.ToLowerInvariant());

        Assert.Equal("anonymous", levels["GetOnboardingStatus"]);
        Assert.All(levels.Where(l => l.Key != "GetOnboardingStatus"), l => Assert.True(l.Value == "function", $"{l.Key} is {l.Value}"));
        Assert.True(levels.Count >= 8);
    }

    [Fact]
    public async Task LocalHost_WithAKey_EveryRouteRefusesWithoutIt_AndNothingChanges()
    {
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s => s["LocalHost:ApiKey"] = "auth-suite-key");
        string body = LocalHostHarness.Body("authacct");
        (HttpMethod Method, string Path, string? Body)[] routes =
        [
            (HttpMethod.Post, "/api/onboardings", body),
            (HttpMethod.Put, "/api/accounts/prod/authacct", """{"clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"s"}"""),
            (HttpMethod.Get, "/api/accounts/prod/authacct", null),
            (HttpMethod.Get, "/api/accounts", null),
            (HttpMethod.Delete, "/api/accounts/prod/authacct", null),
            (HttpMethod.Get, "/api/openapi.json", null),
            (HttpMethod.Get, "/api/swagger.json", null),
            (HttpMethod.Get, "/api/onboardings/onboard-prod-authacct", null),
            (HttpMethod.Get, "/api/onboardings/onboard-prod-authacct?token=1.forged", null),
        ];

        foreach ((HttpMethod method, string path, string? content) in routes)
        {
            foreach (string? key in new[] { null, "wrong-key" })
            {
                using HttpRequestMessage request = new(method, path);
                if (content is not null)
                {
                    request.Content = new StringContent(content, System.Text.Encoding.UTF8, "application/json");
                }

                if (key is not null)
                {
                    request.Headers.Add("x-functions-key", key);
                }

                ApiResponse response = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(request));
                Assert.True(response.Status == 401, $"{method} {path} with key {key ?? "(none)"}: {response.Status}");
            }
        }

        Assert.Empty(harness.Adobe.State.Calls);
        TableServiceClient tables = new(Azurite.ConnectionString);
        Assert.Empty(await tables.GetTableClient(harness.TaskHub + "Instances").QueryAsync<TableEntity>().ToListAsync());
        Assert.False((await tables.GetTableClient(harness.TableName).GetEntityIfExistsAsync<TableEntity>("prod", "authacct")).HasValue);
    }
}
