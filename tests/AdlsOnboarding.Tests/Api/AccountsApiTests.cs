using System.Text.Json;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;

namespace AdlsOnboarding.Tests.Api;

/// <summary>The registry API's handlers (as the Functions triggers call them) on Azurite.</summary>
public sealed class AccountsApiTests : IAsyncLifetime
{
    private const string Base = WorkflowHarness.PublicBaseUrl;
    private WorkflowHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private static string Registration(string clientId = "11111111-2222-3333-4444-555555555555", string? description = null) => JsonSerializer.Serialize(new
    {
        clientId,
        tenant = "contoso.onmicrosoft.com",
        secretName = WorkflowHarness.ServicePrincipalSecretName,
        description,
    });

    private async Task<ApiResponse> PutAsync(string sandbox, string account, string body)
    {
        var request = ApiCall.Request("PUT", $"{Base}/api/accounts/{sandbox}/{account}", body);
        return await ApiCall.ExecuteAsync(request, await _harness.Host.Services.GetService<AdlsOnboarding.Api.AccountsApi>().PutAsync(request, _harness.Client, sandbox, account));
    }

    private async Task<ApiResponse> GetAsync(string sandbox, string account)
    {
        var request = ApiCall.Request("GET", $"{Base}/api/accounts/{sandbox}/{account}", contentType: null);
        return await ApiCall.ExecuteAsync(request, await _harness.Host.Services.GetService<AdlsOnboarding.Api.AccountsApi>().GetAsync(sandbox, account));
    }

    private async Task<ApiResponse> ListAsync(string query)
    {
        var request = ApiCall.Request("GET", $"{Base}/api/accounts{query}", contentType: null);
        return await ApiCall.ExecuteAsync(request, await _harness.Host.Services.GetService<AdlsOnboarding.Api.AccountsApi>().ListAsync(request));
    }

    [Fact]
    public async Task Put_NewThenSameThenChanged_201Then200UnchangedThen200Pending()
    {
        ApiResponse created = await PutAsync("prod", "regacct", Registration());
        ApiResponse same = await PutAsync("prod", "regacct", Registration());
        ApiResponse changed = await PutAsync("prod", "regacct", Registration(description: "new text"));

        Assert.Equal(201, created.Status);
        Assert.Equal("/api/accounts/prod/regacct", created.Header("Location"));
        Assert.Equal("Pending", created.Json.GetProperty("status").GetString());
        Assert.Equal("https://regacct.dfs.core.windows.net", created.Json.GetProperty("storageAccountUrl").GetString());
        Assert.Equal(200, same.Status);
        Assert.Equal("Registered", same.Json.GetProperty("lastAction").GetString());
        Assert.Equal(200, changed.Status);
        Assert.Equal("RegistrationChanged", changed.Json.GetProperty("lastAction").GetString());
        Assert.Equal("new text", changed.Json.GetProperty("description").GetString());
        Assert.Empty(_harness.Adobe.State.Calls);
    }

    [Fact]
    public async Task Put_WithAdoptConnectionId_StoredShownAndCarriedToTheSweepsRequest()
    {
        string body = JsonSerializer.Serialize(new
        {
            clientId = WorkflowHarness.ClientId,
            tenant = WorkflowHarness.Tenant,
            secretName = WorkflowHarness.ServicePrincipalSecretName,
            adoptConnectionId = "69f188b6-af07-4587-8061-e94d34637b41",
        });

        ApiResponse created = await PutAsync("prod", "adoptreg", body);
        ApiResponse plain = await PutAsync("prod", "plainreg", Registration());

        Assert.Equal(201, created.Status);
        Assert.Equal("69f188b6-af07-4587-8061-e94d34637b41", created.Json.GetProperty("adoptConnectionId").GetString());
        Assert.Equal(JsonValueKind.Null, plain.Json.GetProperty("adoptConnectionId").ValueKind);
        AdlsOnboarding.Workflow.Registry.AccountRegistry registry = _harness.Host.Services.GetService<AdlsOnboarding.Workflow.Registry.AccountRegistry>();
        Assert.Equal("69f188b6-af07-4587-8061-e94d34637b41", registry.RequestOf((await _harness.RecordAsync("prod", "adoptreg"))!)!.AdoptConnectionId);
        Assert.Null(registry.RequestOf((await _harness.RecordAsync("prod", "plainreg"))!)!.AdoptConnectionId);
        Assert.Empty(_harness.Adobe.State.Calls);
    }

    [Theory]
    [InlineData("prod", "AB", "{}", "account")]
    [InlineData("Prod", "regacct", "{}", "sandbox")]
    [InlineData("prod", "regacct", """{"clientId":"x","tenant":"contoso.onmicrosoft.com","secretName":"s"}""", "clientId")]
    [InlineData("prod", "regacct", """{"clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"s","sandbox":"prod"}""", "sandbox")]
    [InlineData("prod", "regacct", """{"storageAccountUrl":"https://other.dfs.core.windows.net","clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"s"}""", "storageAccountUrl")]
    public async Task Put_BadInput_400NamingTheFieldAndNothingWritten(string sandbox, string account, string body, string field)
    {
        ApiResponse response = await PutAsync(sandbox, account, body);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.True(response.Json.GetProperty("errors").TryGetProperty(field, out _), response.Body);
        Assert.Equal(404, (await GetAsync("prod", "regacct")).Status);
    }

    [Fact]
    public async Task Put_WhileOnboarding_409AndRegistrationKept()
    {
        _harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Delay, Delay: TimeSpan.FromSeconds(3)));
        var start = ApiCall.Request("POST", $"{Base}/api/onboardings", JsonSerializer.Serialize(new { storageAccountUrl = "https://busyacct.dfs.core.windows.net", clientId = "11111111-2222-3333-4444-555555555555", tenant = "contoso.onmicrosoft.com", secretName = WorkflowHarness.ServicePrincipalSecretName, sandbox = "prod" }));
        await _harness.Api.StartAsync(start, _harness.Client);
        await _harness.WaitUntilAsync(async () => (await _harness.RecordAsync("prod", "busyacct"))?.Status == OnboardingStatus.Onboarding, "busyacct to be onboarding");

        ApiResponse response = await PutAsync("prod", "busyacct", Registration(clientId: "99999999-2222-3333-4444-555555555555"));

        Assert.Equal(409, response.Status);
        await _harness.WaitAsync("onboard-prod-busyacct");
        Assert.Equal("11111111-2222-3333-4444-555555555555", (await _harness.RecordAsync("prod", "busyacct"))!.ClientId);
    }

    [Fact]
    public async Task List_FilteredAndPaged_FollowsContinuationTokens()
    {
        for (int i = 0; i < 5; i++)
        {
            await PutAsync("prod", $"page{i}acct", Registration());
        }

        await PutAsync("dev", "devacct", Registration());
        List<string> seen = [];
        string? token = null;
        int pages = 0;
        do
        {
            ApiResponse page = await ListAsync($"?sandbox=prod&status=Pending&pageSize=2{(token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token))}");
            Assert.Equal(200, page.Status);
            seen.AddRange(page.Json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("accountName").GetString()!));
            token = page.Json.GetProperty("continuationToken").GetString();
            pages++;
        }
        while (token is not null && pages < 10);

        Assert.Equal(["page0acct", "page1acct", "page2acct", "page3acct", "page4acct"], seen.Order());
        Assert.True(pages >= 3);
        Assert.Empty((await ListAsync("?sandbox=prod&status=Connected")).Json.GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("?status=Done", "status")]
    [InlineData("?status=1", "status")]
    [InlineData("?sandbox=prod'%20or%20'a'%20eq%20'a", "sandbox")]
    [InlineData("?pageSize=0", "pageSize")]
    [InlineData("?pageSize=5000", "pageSize")]
    [InlineData("?pageSize=007", "pageSize")]
    [InlineData("?pageSize=0100", "pageSize")]
    public async Task List_BadQuery_400NamingTheParameter(string query, string field)
    {
        ApiResponse response = await ListAsync(query);

        Assert.Equal(400, response.Status);
        Assert.True(response.Json.GetProperty("errors").TryGetProperty(field, out _), response.Body);
    }

    [Fact]
    public async Task Get_RegisteredAndUnknown_200And404()
    {
        await PutAsync("prod", "shownacct", Registration());

        Assert.Equal(200, (await GetAsync("prod", "shownacct")).Status);
        Assert.Equal(404, (await GetAsync("prod", "missingacct")).Status);
    }
}

internal static class ServiceProviderExtensions
{
    public static T GetService<T>(this IServiceProvider services) where T : notnull =>
        (T)(services.GetService(typeof(T)) ?? throw new InvalidOperationException(typeof(T).Name));
}
