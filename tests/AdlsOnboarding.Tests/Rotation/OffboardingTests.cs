using AdlsOnboarding.Api;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Api;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Tests.Rotation;

/// <summary><c>DELETE /api/accounts/{sandbox}/{account}</c>: the connection goes, the record stays as Offboarded.</summary>
public sealed class OffboardingTests : IAsyncLifetime
{
    private const string Base = WorkflowHarness.PublicBaseUrl;
    private WorkflowHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private async Task<ApiResponse> OffboardAsync(string account)
    {
        var request = ApiCall.Request("DELETE", $"{Base}/api/accounts/prod/{account}", contentType: null);
        return await ApiCall.ExecuteAsync(request, await _harness.Host.Services.GetService<AccountsApi>().DeleteAsync(request, _harness.Client, "prod", account));
    }

    private async Task<ApiResponse> StatusAsync(ApiResponse accepted)
    {
        string instanceId = accepted.Json.GetProperty("instanceId").GetString()!;
        await _harness.WaitAsync(instanceId);
        var request = ApiCall.Request("GET", accepted.Header("Location")!, contentType: null);
        return await ApiCall.ExecuteAsync(request, await _harness.Api.GetStatusAsync(request, _harness.Client, instanceId));
    }

    [Fact]
    public async Task Offboard_Connected_DeletesTheConnectionAndKeepsTheRecord()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("leaving"));

        ApiResponse accepted = await OffboardAsync("leaving");
        ApiResponse done = await StatusAsync(accepted);

        Assert.Equal(202, accepted.Status);
        Assert.StartsWith($"{Base}/api/onboardings/offboard-prod-leaving?token=", accepted.Header("Location"));
        Assert.Equal(200, done.Status);
        Assert.Equal("Offboarded", done.Json.GetProperty("status").GetString());
        Assert.Equal("deleted", done.Json.GetProperty("action").GetString());
        Assert.True(Assert.Single(_harness.Adobe.State.Connections).Deleted);
        AccountRecord record = (await _harness.RecordAsync("prod", "leaving"))!;
        Assert.Equal(OnboardingStatus.Offboarded, record.Status);
        Assert.Equal("ConnectionDeleted", record.LastAction);
    }

    [Fact]
    public async Task Offboard_ConnectionAlreadyGone_CountsAsDeleted()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("gone"));
        _harness.Adobe.State.Connections[0].Deleted = true;

        ApiResponse done = await StatusAsync(await OffboardAsync("gone"));

        Assert.Equal(200, done.Status);
        Assert.Equal("alreadyDeleted", done.Json.GetProperty("action").GetString());
        Assert.Equal(OnboardingStatus.Offboarded, (await _harness.RecordAsync("prod", "gone"))!.Status);
    }

    [Fact]
    public async Task Offboard_ConnectionUsedByDataflows_422AndEverythingLeftInPlace()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("inuse"));
        _harness.Adobe.State.Connections[0].InUseByDataflows = true;

        ApiResponse done = await StatusAsync(await OffboardAsync("inuse"));

        Assert.Equal(422, done.Status);
        Assert.Equal("1418-400", done.Json.GetProperty("errorCode").GetString());
        Assert.Contains("dataflows", done.Json.GetProperty("detail").GetString());
        Assert.False(Assert.Single(_harness.Adobe.State.Connections).Deleted);
        AccountRecord record = (await _harness.RecordAsync("prod", "inuse"))!;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
        Assert.Equal("1418-400", record.ErrorCode);
        Assert.Equal(1, _harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Delete));
    }

    [Fact]
    public async Task Offboard_WhileOnboarding_409_AndUnknownAccount_404()
    {
        _harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Delay, Delay: TimeSpan.FromSeconds(2)));
        global::AdlsOnboarding.Workflow.Onboarding.OnboardingInput input = _harness.Input(WorkflowHarness.Request("busy"));
        await _harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(global::AdlsOnboarding.Workflow.Onboarding.OnboardingOrchestrationV2), input, new Microsoft.DurableTask.StartOrchestrationOptions("onboard-prod-busy"));
        await _harness.WaitUntilAsync(async () => await _harness.RecordAsync("prod", "busy") is not null, "the busy account's record");

        ApiResponse busy = await OffboardAsync("busy");
        ApiResponse unknown = await OffboardAsync("nobodyhere");
        await _harness.WaitAsync("onboard-prod-busy");

        Assert.Equal(409, busy.Status);
        Assert.Equal("onboard-prod-busy", busy.Json.GetProperty("instanceId").GetString());
        Assert.Equal(404, unknown.Status);
        Assert.False(Assert.Single(_harness.Adobe.State.Connections).Deleted);
    }
}
