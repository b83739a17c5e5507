using System.Net;
using System.Text.Json;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.DurableTask.Client;

namespace AdlsOnboarding.Tests.Api;

/// <summary>The HTTP API's handlers (as the Functions triggers call them) on the in-process durable host.</summary>
public sealed class OnboardingApiTests : IAsyncLifetime
{
    private const string Base = WorkflowHarness.PublicBaseUrl;
    private WorkflowHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private static string Body(string account = "apiacct", string clientId = "11111111-2222-3333-4444-555555555555") => JsonSerializer.Serialize(new
    {
        storageAccountUrl = $"https://{account}.dfs.core.windows.net",
        clientId,
        tenant = "contoso.onmicrosoft.com",
        secretName = WorkflowHarness.ServicePrincipalSecretName,
        sandbox = "prod",
    });

    private async Task<ApiResponse> PostAsync(string body, string? contentType = "application/json", IPAddress? remote = null, Dictionary<string, string>? headers = null)
    {
        var request = ApiCall.Request("POST", $"{Base}/api/onboardings", body, contentType, remote, headers);
        return await ApiCall.ExecuteAsync(request, await _harness.Api.StartAsync(request, _harness.Client));
    }

    private async Task<ApiResponse> GetAsync(string url)
    {
        var request = ApiCall.Request("GET", url, contentType: null);
        string instanceId = Uri.UnescapeDataString(new Uri(url).AbsolutePath.Split('/')[^1]);
        return await ApiCall.ExecuteAsync(request, await _harness.Api.GetStatusAsync(request, _harness.Client, instanceId));
    }

    private async Task<ApiResponse> PollUntilDoneAsync(string statusUrl)
    {
        string url = statusUrl;
        return await Eventually.UntilAsync(
            async () =>
            {
                ApiResponse response = await GetAsync(url);
                url = response.Status == 202 ? response.Header("Location")! : url;
                return response;
            },
            response => response.Status != 202,
            _harness.LogText,
            $"{statusUrl} to finish");
    }

    [Fact]
    public async Task Start_ValidRequest_Accepted202ThenStatusUrlReturnsTheConnection()
    {
        ApiResponse accepted = await PostAsync(Body());

        Assert.Equal(202, accepted.Status);
        Assert.Equal("5", accepted.Header("Retry-After"));
        string location = accepted.Header("Location")!;
        Assert.StartsWith($"{Base}/api/onboardings/onboard-prod-apiacct?token=", location);
        Assert.Equal("onboard-prod-apiacct", accepted.Json.GetProperty("instanceId").GetString());
        Assert.Equal(location, accepted.Json.GetProperty("statusUrl").GetString());

        ApiResponse done = await PollUntilDoneAsync(location);

        Assert.Equal(200, done.Status);
        SimulatedConnection connection = Assert.Single(_harness.Adobe.State.Connections);
        Assert.Equal("Connected", done.Json.GetProperty("status").GetString());
        Assert.Equal(connection.Id, done.Json.GetProperty("connectionId").GetString());
        Assert.Equal(connection.Etag, done.Json.GetProperty("etag").GetString());
        Assert.Equal("created", done.Json.GetProperty("action").GetString());
        Assert.True(done.Json.GetProperty("credentialTestPassed").GetBoolean());
    }

    [Theory]
    [InlineData("{", "body")]
    [InlineData("[]", "body")]
    [InlineData("""{"storageAccountUrl":"http://x.dfs.core.windows.net","clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"s","sandbox":"prod"}""", "storageAccountUrl")]
    [InlineData("""{"storageAccountUrl":"https://apiacct.dfs.core.windows.net","clientId":42,"tenant":"contoso.onmicrosoft.com","secretName":"s","sandbox":"prod"}""", "clientId")]
    [InlineData("""{"storageAccountUrl":"https://apiacct.dfs.core.windows.net","clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"s","sandbox":"prod","extra":"x"}""", "extra")]
    [InlineData("""{"storageAccountUrl":"https://apiacct.dfs.core.windows.net","storageAccountUrl":"https://b.dfs.core.windows.net","clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"s","sandbox":"prod"}""", "body")]
    [InlineData("""{"clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"s","sandbox":"prod"}""", "storageAccountUrl")]
    public async Task Start_BadBody_400ProblemNamingTheFieldAndNothingStarted(string body, string field)
    {
        ApiResponse response = await PostAsync(body);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.True(response.Json.GetProperty("errors").TryGetProperty(field, out _), response.Body);
        Assert.Null(await _harness.Client.GetInstanceAsync("onboard-prod-apiacct"));
        Assert.Null(await _harness.RecordAsync("prod", "apiacct"));
        Assert.Empty(_harness.Adobe.State.Calls);
    }

    [Fact]
    public async Task Start_OversizedBody_400()
    {
        ApiResponse response = await PostAsync("{\"description\":\"" + new string('x', 20000) + "\"}");

        Assert.Equal(400, response.Status);
        Assert.True(response.Json.GetProperty("errors").TryGetProperty("body", out _));
    }

    [Fact]
    public async Task Start_NotJson_415Problem()
    {
        ApiResponse response = await PostAsync(Body(), contentType: "text/plain");

        Assert.Equal(415, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    [Fact]
    public async Task Start_WhileRunning_SameRequestJoinsDifferentRequestGets409()
    {
        _harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Delay, Delay: TimeSpan.FromSeconds(4)));
        ApiResponse first = await PostAsync(Body());
        await WaitUntilRunningAsync("onboard-prod-apiacct");

        ApiResponse same = await PostAsync(Body());
        ApiResponse different = await PostAsync(Body(clientId: "99999999-2222-3333-4444-555555555555"));

        Assert.Equal(202, same.Status);
        Assert.Equal(first.Json.GetProperty("instanceId").GetString(), same.Json.GetProperty("instanceId").GetString());
        Assert.Equal(409, different.Status);
        Assert.Equal("application/problem+json", different.ContentType);
        Assert.Equal("onboard-prod-apiacct", different.Json.GetProperty("instanceId").GetString());
        Assert.StartsWith($"{Base}/api/onboardings/onboard-prod-apiacct?token=", different.Json.GetProperty("statusUrl").GetString());

        Assert.Equal(200, (await PollUntilDoneAsync(first.Header("Location")!)).Status);
        Assert.Single(_harness.Adobe.State.Connections);
    }

    [Fact]
    public async Task Start_New_ReadsOneInstanceBeforeScheduling_AndJoinOrConflictReadsOnlyWhenRefused()
    {
        // A first start reads only the account's other operation (is an offboarding running?) and schedules: the
        // backend's dedupe refuses an id that is still active, so the onboarding's own instance is not read first.
        _harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Delay, Delay: TimeSpan.FromSeconds(4)));
        CountingDurableTaskClient first = new(_harness.Client);
        var request = ApiCall.Request("POST", $"{Base}/api/onboardings", Body(), "application/json", null, null);
        ApiResponse started = await ApiCall.ExecuteAsync(request, await _harness.Api.StartAsync(request, first));
        Assert.Equal(202, started.Status);
        Assert.Equal((1, 1), (first.InstanceReads, first.Schedules));

        // While it runs, the same request is refused by the backend, read once, and joined; another gets 409.
        await WaitUntilRunningAsync("onboard-prod-apiacct");
        CountingDurableTaskClient again = new(_harness.Client);
        var same = ApiCall.Request("POST", $"{Base}/api/onboardings", Body(), "application/json", null, null);
        ApiResponse joined = await ApiCall.ExecuteAsync(same, await _harness.Api.StartAsync(same, again));
        var other = ApiCall.Request("POST", $"{Base}/api/onboardings", Body(clientId: "99999999-2222-3333-4444-555555555555"), "application/json", null, null);
        ApiResponse refused = await ApiCall.ExecuteAsync(other, await _harness.Api.StartAsync(other, again));
        Assert.Equal(202, joined.Status);
        Assert.Equal(started.Json.GetProperty("instanceId").GetString(), joined.Json.GetProperty("instanceId").GetString());
        Assert.Equal(409, refused.Status);
        Assert.Equal((4, 2), (again.InstanceReads, again.Schedules));

        Assert.Equal(200, (await PollUntilDoneAsync(started.Header("Location")!)).Status);
        Assert.Single(_harness.Adobe.State.Connections);
    }

    [Fact]
    public async Task Start_AfterFinished_ReonboardsAndReusesTheConnection()
    {
        ApiResponse first = await PostAsync(Body());
        Assert.Equal(200, (await PollUntilDoneAsync(first.Header("Location")!)).Status);

        ApiResponse second = await PostAsync(Body());
        ApiResponse done = await PollUntilDoneAsync(second.Header("Location")!);

        Assert.Equal("reused", done.Json.GetProperty("action").GetString());
        Assert.Single(_harness.Adobe.State.Connections);
    }

    [Fact]
    public async Task Status_MissingOrAlteredToken_401()
    {
        ApiResponse accepted = await PostAsync(Body());
        string location = accepted.Header("Location")!;

        ApiResponse missing = await GetAsync($"{Base}/api/onboardings/onboard-prod-apiacct");
        ApiResponse altered = await GetAsync(location[..^2] + (location[^2] == 'A' ? "BB" : "AA"));
        ApiResponse otherInstance = await GetAsync(location.Replace("onboard-prod-apiacct", "onboard-prod-other", StringComparison.Ordinal));

        Assert.All([missing, altered, otherInstance], r => Assert.Equal(401, r.Status));
        Assert.Equal("application/problem+json", missing.ContentType);
        await PollUntilDoneAsync(location);
    }

    [Fact]
    public async Task Status_UnknownInstanceWithValidToken_404()
    {
        string token = _harness.Host.Services.GetService(typeof(AdlsOnboarding.Api.StatusTokenService)) is AdlsOnboarding.Api.StatusTokenService tokens
            ? tokens.Issue("onboard-prod-nobody")
            : throw new InvalidOperationException();

        ApiResponse response = await GetAsync($"{Base}/api/onboardings/onboard-prod-nobody?token={Uri.EscapeDataString(token)}");

        Assert.Equal(404, response.Status);
    }

    [Fact]
    public async Task Status_FailedOutcome_422WithAdobesCode()
    {
        _harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 403, Code: "2118-403"));

        ApiResponse accepted = await PostAsync(Body());
        ApiResponse done = await PollUntilDoneAsync(accepted.Header("Location")!);

        Assert.Equal(422, done.Status);
        Assert.Equal("application/problem+json", done.ContentType);
        Assert.Equal("2118-403", done.Json.GetProperty("errorCode").GetString());
        Assert.Equal("onboard-prod-apiacct", done.Json.GetProperty("instanceId").GetString());
    }

    [Theory]
    [InlineData("Host", "api.contoso.com:@evil.example")]
    [InlineData("Host", "evil.example")]
    [InlineData("X-Forwarded-Host", "evil.example")]
    [InlineData("X-Forwarded-Proto", "http")]
    public async Task Start_ForgedHostOrForwardedHeader_StatusUrlStaysOnPublicBaseUrl(string header, string value)
    {
        // From any address (10.0.0.5 used to be a trusted proxy): the base of a status URL is configuration, not input.
        ApiResponse accepted = await PostAsync(Body(), remote: IPAddress.Parse("10.0.0.5"), headers: new() { [header] = value });

        Assert.Equal(202, accepted.Status);
        Assert.StartsWith($"{Base}/api/onboardings/onboard-prod-apiacct?token=", accepted.Header("Location"));
        Assert.Equal(accepted.Header("Location"), accepted.Json.GetProperty("statusUrl").GetString());
        await _harness.WaitAsync("onboard-prod-apiacct");
    }

    private Task WaitUntilRunningAsync(string instanceId) =>
        _harness.WaitUntilAsync(async () => (await _harness.Client.GetInstanceAsync(instanceId))?.RuntimeStatus == OrchestrationRuntimeStatus.Running, $"{instanceId} to run");
}
