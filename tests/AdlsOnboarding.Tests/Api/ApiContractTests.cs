using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;

namespace AdlsOnboarding.Tests.Api;

/// <summary>A host under contract test: how to send a request, and the Adobe side it talks to.</summary>
public interface IApiHost : IAsyncDisposable
{
    SimulatorState Adobe { get; }

    Task<ApiResponse> PostAsync(string body, string contentType = "application/json");

    Task<ApiResponse> GetAsync(string url);

    /// <summary>A status URL signed with the host's key for an id no 202 handed out.</summary>
    string SignedStatusUrl(string instanceId);

    /// <summary>What the host logged so far, for failure messages.</summary>
    string Log { get; }
}

/// <summary>
/// One HTTP contract for both hosts: the same requests get the same statuses, headers and bodies from the Azure
/// Functions handlers and from the local host. Each derived class runs every test against one host.
/// </summary>
public abstract class ApiContractTests<THost>(ApiHostFixture<THost> fixture) : IClassFixture<ApiHostFixture<THost>>
    where THost : IApiHost
{
    private IApiHost Host => fixture.Host;

    private static string Account() => "c" + Guid.NewGuid().ToString("N")[..16];

    private async Task<ApiResponse> PollAsync(string statusUrl)
    {
        string url = statusUrl;
        return await Eventually.UntilAsync(
            async () =>
            {
                ApiResponse response = await Host.GetAsync(url);
                url = response.Status == 202 ? response.Header("Location")! : url;
                return response;
            },
            response => response.Status != 202,
            () => Host.Log,
            $"{statusUrl} to finish",
            TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task Post_ValidRequest_202ThenStatusUrl200WithTheConnection()
    {
        string account = Account();

        ApiResponse accepted = await Host.PostAsync(LocalHostHarness.Body(account));

        Assert.Equal(202, accepted.Status);
        Assert.Equal("application/json", accepted.ContentType?.Split(';')[0]);
        Assert.Equal("5", accepted.Header("Retry-After"));
        Uri location = new(accepted.Header("Location")!);
        Assert.Equal($"/api/onboardings/onboard-prod-{account}", location.AbsolutePath);
        Assert.StartsWith("?token=", location.Query);
        Assert.Equal($"onboard-prod-{account}", accepted.Json.GetProperty("instanceId").GetString());
        Assert.Equal(location.AbsoluteUri, accepted.Json.GetProperty("statusUrl").GetString());

        ApiResponse done = await PollAsync(location.AbsoluteUri);

        Assert.Equal(200, done.Status);
        SimulatedConnection connection = Assert.Single(Host.Adobe.Connections, c => c.Auth.Url == $"https://{account}.dfs.core.windows.net");
        Assert.Equal(
            ["accountName", "action", "adobeCanList", "completedAt", "connectionId", "connectionName", "credentialTestPassed", "etag", "instanceId", "sandbox", "secretVersion", "status", "warning"],
            done.Json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(connection.Id, done.Json.GetProperty("connectionId").GetString());
        Assert.Equal("Connected", done.Json.GetProperty("status").GetString());
        Assert.Equal("created", done.Json.GetProperty("action").GetString());
    }

    [Theory]
    [InlineData("""{"storageAccountUrl":"https://x.blob.core.windows.net","clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"s","sandbox":"prod"}""", "storageAccountUrl")]
    [InlineData("""{"storageAccountUrl":"https://okaccount.dfs.core.windows.net","clientId":"nope","tenant":"contoso.onmicrosoft.com","secretName":"s","sandbox":"prod"}""", "clientId")]
    [InlineData("not json", "body")]
    public async Task Post_BadRequest_400ProblemJsonNamingTheField(string body, string field)
    {
        ApiResponse response = await Host.PostAsync(body);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(400, response.Json.GetProperty("status").GetInt32());
        Assert.True(response.Json.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Post_NotJson_415()
    {
        ApiResponse response = await Host.PostAsync(LocalHostHarness.Body(Account()), "text/plain");

        Assert.Equal(415, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    [Fact]
    public async Task Post_DifferentRequestWhileRunning_409WithStatusUrl_SameRequestJoins()
    {
        string account = Account();
        Host.Adobe.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Delay, Delay: TimeSpan.FromSeconds(3)));
        ApiResponse first = await Host.PostAsync(LocalHostHarness.Body(account));

        ApiResponse same = await Host.PostAsync(LocalHostHarness.Body(account));
        ApiResponse different = await Host.PostAsync(LocalHostHarness.Body(account, "99999999-2222-3333-4444-555555555555"));

        Assert.Equal(202, same.Status);
        Assert.Equal(first.Json.GetProperty("instanceId").GetString(), same.Json.GetProperty("instanceId").GetString());
        Assert.Equal(409, different.Status);
        Assert.Equal("application/problem+json", different.ContentType);
        Assert.Equal($"/api/onboardings/onboard-prod-{account}", new Uri(different.Json.GetProperty("statusUrl").GetString()!).AbsolutePath);
        Assert.Equal(200, (await PollAsync(first.Header("Location")!)).Status);
    }

    [Fact]
    public async Task Status_NoToken_401_UnknownId_404()
    {
        string missing = Host.SignedStatusUrl("onboard-prod-neverstarted");
        ApiResponse unauthorized = await Host.GetAsync(missing[..missing.IndexOf('?', StringComparison.Ordinal)]);
        ApiResponse notFound = await Host.GetAsync(missing);

        Assert.Equal(401, unauthorized.Status);
        Assert.Equal("application/problem+json", unauthorized.ContentType);
        Assert.Equal(404, notFound.Status);
        Assert.Equal("application/problem+json", notFound.ContentType);
    }

    [Fact]
    public async Task Status_PermanentAdobeFailure_422WithAdobesCode()
    {
        Host.Adobe.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 403, Code: "2121-403"));

        ApiResponse accepted = await Host.PostAsync(LocalHostHarness.Body(Account()));
        ApiResponse done = await PollAsync(accepted.Header("Location")!);

        Assert.Equal(422, done.Status);
        Assert.Equal("application/problem+json", done.ContentType);
        Assert.Equal("2121-403", done.Json.GetProperty("errorCode").GetString());
    }
}

/// <summary>Starts one host per test class.</summary>
public sealed class ApiHostFixture<THost> : IAsyncLifetime where THost : IApiHost
{
    public IApiHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = typeof(THost) == typeof(FunctionsHandlersHost)
        ? await FunctionsHandlersHost.StartAsync()
        : await LocalHostOverHttp.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>The Azure Functions side: the same handlers the HTTP triggers call, with the durable client.</summary>
public sealed class FunctionsHandlersHost(WorkflowHarness harness) : IApiHost
{
    private const string Base = WorkflowHarness.PublicBaseUrl;

    public SimulatorState Adobe => harness.Adobe.State;

    public static async Task<FunctionsHandlersHost> StartAsync()
    {
        WorkflowHarness harness = await WorkflowHarness.StartAsync(s => s[$"Secrets:Local:{WorkflowHarness.ServicePrincipalSecretName}"] = LocalHostHarness.ServicePrincipalKey);
        return new FunctionsHandlersHost(harness);
    }

    public async Task<ApiResponse> PostAsync(string body, string contentType = "application/json")
    {
        var request = ApiCall.Request("POST", $"{Base}/api/onboardings", body, contentType);
        return await ApiCall.ExecuteAsync(request, await harness.Api.StartAsync(request, harness.Client));
    }

    public async Task<ApiResponse> GetAsync(string url)
    {
        var request = ApiCall.Request("GET", url, contentType: null);
        string instanceId = Uri.UnescapeDataString(new Uri(url).AbsolutePath.Split('/')[^1]);
        return await ApiCall.ExecuteAsync(request, await harness.Api.GetStatusAsync(request, harness.Client, instanceId));
    }

    public string SignedStatusUrl(string instanceId) =>
        $"{Base}/api/onboardings/{instanceId}?token={Uri.EscapeDataString(((AdlsOnboarding.Api.StatusTokenService)harness.Host.Services.GetService(typeof(AdlsOnboarding.Api.StatusTokenService))!).Issue(instanceId))}";

    public string Log => harness.LogText();

    public ValueTask DisposeAsync() => harness.DisposeAsync();
}

/// <summary>The local host: its own process, real HTTP, Azure Storage durable provider on Azurite.</summary>
public sealed class LocalHostOverHttp(LocalHostHarness harness) : IApiHost
{
    public SimulatorState Adobe => harness.Adobe.State;

    public static async Task<LocalHostOverHttp> StartAsync() => new(await LocalHostHarness.StartAsync());

    public Task<ApiResponse> PostAsync(string body, string contentType = "application/json") => harness.PostAsync(body, contentType);

    public Task<ApiResponse> GetAsync(string url) => harness.GetAsync(url);

    public string SignedStatusUrl(string instanceId) => harness.StatusUrl(instanceId);

    public string Log => harness.Host.Output;

    public ValueTask DisposeAsync() => harness.DisposeAsync();
}

public sealed class FunctionsHandlersContractTests(ApiHostFixture<FunctionsHandlersHost> fixture) : ApiContractTests<FunctionsHandlersHost>(fixture);

public sealed class LocalHostContractTests(ApiHostFixture<LocalHostOverHttp> fixture) : ApiContractTests<LocalHostOverHttp>(fixture);
