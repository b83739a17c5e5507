using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Tests.Workflow;

public sealed class OnboardingWorkflowTests : IAsyncLifetime
{
    private WorkflowHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Onboard_HealthyUpstreams_CreatesOneConnectionAndRecordsIt()
    {
        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("contosodata"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(ConnectionAction.Created, outcome.Action);
        Assert.True(outcome.CredentialTestPassed);

        SimulatedConnection connection = Assert.Single(_harness.Adobe.State.Connections);
        Assert.Equal(outcome.ConnectionId, connection.Id);
        Assert.Equal("b3ba5556-48be-44b7-8b85-ff2b69b46dc4", connection.ConnectionSpecId);
        Assert.Equal("Basic Authentication for adls-gen2", connection.SpecName);
        Assert.Equal("adls-gen2-contosodata", connection.Name);
        Assert.Equal(new SimulatedAuthParams("https://contosodata.dfs.core.windows.net", "11111111-2222-3333-4444-555555555555", _harness.ServicePrincipalKey, "contoso.onmicrosoft.com"), connection.Auth);

        AccountRecord record = (await _harness.RecordAsync("prod", "contosodata"))!;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
        Assert.Equal(connection.Id, record.ConnectionId);
        Assert.Equal(connection.Etag, record.ConnectionEtag);
        Assert.StartsWith("\"", record.ConnectionEtag);
        Assert.Equal(_harness.ServicePrincipalKeyVersion, record.SecretVersion);
        Assert.Equal(WorkflowHarness.ServicePrincipalSecretName, record.SecretName);
        Assert.Equal("https://contosodata.dfs.core.windows.net", record.StorageAccountUrl);
        Assert.Equal("contoso.onmicrosoft.com", record.Tenant);
        Assert.Equal("11111111-2222-3333-4444-555555555555", record.ClientId);
        Assert.Equal("ConnectionCreated", record.LastAction);
        Assert.Equal(OnboardingInstanceId.For("prod", "contosodata"), record.InstanceId);
        Assert.True(record.CredentialTestPassed);
        Assert.Equal(1, record.AttemptCount);
        Assert.NotNull(record.CreatedAt);
        Assert.NotNull(record.UpdatedAt);
        Assert.False(record.CreatePending);
    }

    [Fact]
    public async Task Onboard_TransientFailuresThenSuccess_RetriesAndConnects()
    {
        _harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 503));
        _harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 504));

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("retryacct"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Single(_harness.Adobe.State.Connections);
        Assert.Equal(3, _harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Create));
        Assert.Equal(3, (await _harness.RecordAsync("prod", "retryacct"))!.AttemptCount);
    }

    [Fact]
    public async Task Onboard_ThrottledWithRetryAfter_WaitsAtLeastThatLong()
    {
        _harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(retryAfterSeconds: 3));

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("throttled"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        List<RecordedCall> creates = _harness.Adobe.State.Calls.Where(c => c.Operation == SimulatedOperation.Create).ToList();
        Assert.Equal([429, 201], creates.Select(c => c.Status));
        // A lower bound only: the retry must not come before the server's Retry-After (the backoff alone is 200 ms).
        Assert.True(creates[1].ReceivedAt - creates[0].ReceivedAt >= TimeSpan.FromSeconds(3), $"gap {creates[1].ReceivedAt - creates[0].ReceivedAt}");
    }

    [Fact]
    public async Task Onboard_PermanentBadRequest_FailsWithoutRetryAndRecordsAdobesCode()
    {
        _harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 400, Code: "1415-400"));

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("badreq"));

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal("1415-400", outcome.ErrorCode);
        Assert.Single(_harness.Adobe.State.Calls, c => c.Operation == SimulatedOperation.Create);
        Assert.Empty(_harness.Adobe.State.Connections);
        AccountRecord record = (await _harness.RecordAsync("prod", "badreq"))!;
        Assert.Equal(OnboardingStatus.Failed, record.Status);
        Assert.Equal("1415-400", record.ErrorCode);
        Assert.Contains("Create connection failed (400)", record.ErrorMessage);
    }

    [Fact]
    public async Task Onboard_TokenExpiredAtAdobe_RenewsTokenOnceAndConnects()
    {
        // Warm the token cache, then make Adobe reject every token issued so far.
        await _harness.OnboardAsync(WorkflowHarness.Request("warmup"));
        _harness.Adobe.State.ExpireAllTokens();
        int tokensBefore = _harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Token);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("afterexpiry"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(tokensBefore + 1, _harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Token));
        Assert.Equal(2, _harness.Adobe.State.Connections.Count);
    }

    [Fact]
    public async Task Onboard_MissingSecret_FailsAtOnceWithoutCallingAdobe()
    {
        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("nosecret", secretName: "does-not-exist"));

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal("SecretUnavailable", outcome.ErrorCode);
        Assert.DoesNotContain(_harness.Adobe.State.Calls, c => c.Operation == SimulatedOperation.Create);
        Assert.Single(_harness.KeyVault.State.Calls, c => c.Path == "/secrets/does-not-exist/versions" && c.Status == 404);
        Assert.Equal("SecretUnavailable", (await _harness.RecordAsync("prod", "nosecret"))!.ErrorCode);
    }

    [Fact]
    public async Task Onboard_ExpiredSecret_FailsAtOnceWithoutCallingAdobe()
    {
        _harness.RotateServicePrincipalKey(expiresOn: DateTimeOffset.UtcNow.AddDays(-1));

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("expiredkey"));

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal("SecretExpired", outcome.ErrorCode);
        Assert.Empty(_harness.Adobe.State.Connections);
        // Its properties were read (the versions list); its value never was.
        Assert.Single(_harness.KeyVault.State.Calls, c => c.Path == $"/secrets/{WorkflowHarness.ServicePrincipalSecretName}/versions" && c.Status == 200);
        Assert.DoesNotContain(_harness.KeyVault.State.Calls, c => c.Path.StartsWith($"/secrets/{WorkflowHarness.ServicePrincipalSecretName}", StringComparison.Ordinal) && !c.Path.EndsWith("/versions", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Onboard_CredentialTestFails_ConnectsAndRecordsFalse()
    {
        _harness.Adobe.State.SetTestResult("https://badcreds.dfs.core.windows.net", false);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("badcreds"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.False(outcome.CredentialTestPassed);
        Assert.False((await _harness.RecordAsync("prod", "badcreds"))!.CredentialTestPassed);
    }
}
