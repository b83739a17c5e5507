using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Api;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Rotation;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Tests.Rotation;

/// <summary>A key rotated in Key Vault reaches Adobe: by event, or by the sweep when the event is missed or deferred.</summary>
public sealed class KeyRotationTests : IAsyncLifetime
{
    private WorkflowHarness _harness = null!;

    private SimulatorState Adobe => _harness.Adobe.State;

    public async Task InitializeAsync() => _harness = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private Task<SecretEventReport> SendAsync(string message) =>
        _harness.Host.Services.GetService<SecretEventHandler>().HandleAsync(_harness.Client, message);

    private Task<SweepReport> SweepAsync() => _harness.Host.Services.GetService<RegistrySweeper>().SweepAsync(_harness.Client);

    private int Updates => Adobe.Calls.Count(c => c.Operation == SimulatedOperation.Update && c.Status == 200);

    [Fact]
    public async Task NewVersionEvent_ExactlyOnePatchWithTheNewKey_RecordUpdated()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("rotated"));
        string version = _harness.RotateServicePrincipalKey();

        SecretEventReport report = await SendAsync(KeyVaultEvents.NewVersion(WorkflowHarness.ServicePrincipalSecretName, version));
        await _harness.WaitAsync("onboard-prod-rotated");

        Assert.Equal(1, report.RotationsStarted);
        Assert.Equal(1, Updates);
        Assert.Equal(1, Adobe.Calls.Count(c => c.Operation == SimulatedOperation.Create));
        SimulatedConnection connection = Assert.Single(Adobe.Connections);
        Assert.Equal(_harness.ServicePrincipalKey, connection.Auth.ServicePrincipalKey);
        AccountRecord record = (await _harness.RecordAsync("prod", "rotated"))!;
        Assert.Equal(version, record.SecretVersion);
        Assert.Equal(connection.Etag, record.ConnectionEtag);
        Assert.Equal(OnboardingTriggers.SecretRotated, record.LastTrigger);
        Assert.NotNull(record.RotatedAt);
        Assert.Equal("ConnectionUpdated", record.LastAction);
    }

    [Theory]
    [InlineData("SP-KEY-CONTOSO", "sp-key-contoso")]
    [InlineData("sp-key-contoso", "Sp-Key-Contoso")]
    public async Task NewVersionEvent_SecretNameInAnotherCase_RotatesTheAccount(string registeredAs, string eventSays)
    {
        // Key Vault names are case-insensitive: the event spells the name as the secret was created, the registration
        // as the portal typed it. Both mean the same key.
        await _harness.OnboardAsync(WorkflowHarness.Request("casedname", secretName: registeredAs));
        string version = _harness.RotateServicePrincipalKey();

        SecretEventReport report = await SendAsync(KeyVaultEvents.NewVersion(eventSays, version));
        await _harness.WaitAsync("onboard-prod-casedname");

        Assert.Equal(1, report.RotationsStarted);
        Assert.Equal(_harness.ServicePrincipalKey, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        Assert.Equal("sp-key-contoso", (await _harness.RecordAsync("prod", "casedname"))!.SecretName);
    }

    [Fact]
    public async Task NewVersionEvent_StaleEtag_RereadAndApplied()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("staleetag"));
        string version = _harness.RotateServicePrincipalKey();
        Adobe.EnqueueFault(SimulatedOperation.Update, new SimulatedFault(FaultKind.Status, 412, Code: "1404-412"));

        await SendAsync(KeyVaultEvents.NewVersion(WorkflowHarness.ServicePrincipalSecretName, version));
        await _harness.WaitAsync("onboard-prod-staleetag");

        Assert.Equal([412, 200], Adobe.Calls.Where(c => c.Operation == SimulatedOperation.Update).Select(c => c.Status));
        Assert.Equal(_harness.ServicePrincipalKey, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task MissedEvent_CaughtByTheSweep()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("missed"));
        _harness.RotateServicePrincipalKey();

        SweepReport sweep = await SweepAsync();
        await _harness.WaitAsync("onboard-prod-missed");
        SweepReport after = await SweepAsync();

        Assert.Equal(1, sweep.Rotations);
        Assert.Equal(0, after.Rotations);
        Assert.Equal(1, Updates);
        Assert.Equal(_harness.ServicePrincipalKey, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        Assert.Equal(OnboardingTriggers.SecretVersionDrift, (await _harness.RecordAsync("prod", "missed"))!.LastTrigger);
    }

    [Fact]
    public async Task MalformedEvent_DroppedAndNothingChanges()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("untouched"));
        int callsBefore = Adobe.Calls.Count;
        AccountRecord before = (await _harness.RecordAsync("prod", "untouched"))!;

        SecretEventReport report = await SendAsync("{\"this is\": \"not an event\"");

        Assert.True(report.Malformed);
        Assert.Equal(callsBefore, Adobe.Calls.Count);
        Assert.Equal(before.ETag, (await _harness.RecordAsync("prod", "untouched"))!.ETag);
    }

    [Fact]
    public async Task RotationDuringOnboarding_AppliedAfterItOnce()
    {
        // The onboarding reads version 1, then Adobe holds its create (inside the request timeout) while version 2 arrives.
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(s => s["Adobe:RequestTimeout"] = "00:00:30");
        SimulatorState adobe = harness.Adobe.State;
        adobe.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Delay, Delay: TimeSpan.FromSeconds(3)));
        OnboardingInput input = harness.Input(WorkflowHarness.Request("duringonb"));
        await harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestrationV2), input, new Microsoft.DurableTask.StartOrchestrationOptions("onboard-prod-duringonb"));
        string first = harness.ServicePrincipalKey;
        await harness.WaitUntilAsync(() => Task.FromResult(adobe.Calls.Any(c => c.Operation == SimulatedOperation.List)), "the onboarding to look its connection up");

        string version = harness.RotateServicePrincipalKey();
        SecretEventReport report = await harness.Host.Services.GetService<SecretEventHandler>().HandleAsync(harness.Client, KeyVaultEvents.NewVersion(WorkflowHarness.ServicePrincipalSecretName, version));
        await harness.WaitAsync("onboard-prod-duringonb");
        Assert.Equal(first, Assert.Single(adobe.Connections).Auth.ServicePrincipalKey);

        SweepReport sweep = await harness.Host.Services.GetService<RegistrySweeper>().SweepAsync(harness.Client);
        await harness.WaitAsync("onboard-prod-duringonb");
        SweepReport after = await harness.Host.Services.GetService<RegistrySweeper>().SweepAsync(harness.Client);

        Assert.True(sweep.Rotations == 1, $"{sweep} / {after} / {string.Join(",", adobe.Calls.Select(c => c.Operation + ":" + c.Status))}");
        Assert.Equal(0, report.RotationsStarted);
        Assert.Equal(1, report.Deferred);
        Assert.Equal(1, adobe.Calls.Count(c => c.Operation == SimulatedOperation.Update && c.Status == 200));
        Assert.Equal(harness.ServicePrincipalKey, Assert.Single(adobe.Connections).Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task RotationDuringOnboarding_CreateTimedOut_TheRetrySendsTheNewVersionAndTheRecordKeepsIt()
    {
        // The create outlives the request timeout (3 s) and is not carried out; version 2 arrives before the retry,
        // which resolves the key's version again: Adobe gets version 2 at once, and nothing is left to rotate.
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(s =>
        {
            s["Onboarding:FirstRetryInterval"] = "00:00:08";
            s["Onboarding:MaxRetryInterval"] = "00:00:10";
        });
        SimulatorState adobe = harness.Adobe.State;
        adobe.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Delay, Delay: TimeSpan.FromSeconds(30)));
        OnboardingInput input = harness.Input(WorkflowHarness.Request("timedout"));
        await harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestrationV2), input, new Microsoft.DurableTask.StartOrchestrationOptions("onboard-prod-timedout"));
        await harness.WaitUntilAsync(() => Task.FromResult(adobe.Calls.Any(c => c.Operation == SimulatedOperation.Create)), "the first create to be sent");

        string version = harness.RotateServicePrincipalKey();
        await harness.WaitAsync("onboard-prod-timedout");
        SweepReport sweep = await harness.Host.Services.GetService<RegistrySweeper>().SweepAsync(harness.Client);

        SimulatedConnection connection = Assert.Single(adobe.Connections);
        Assert.Equal(harness.ServicePrincipalKey, connection.Auth.ServicePrincipalKey);
        AccountRecord record = (await harness.RecordAsync("prod", "timedout"))!;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
        Assert.Equal(version, record.SecretVersion);
        Assert.Equal(0, sweep.Rotations);
        Assert.Equal(0, adobe.Calls.Count(c => c.Operation == SimulatedOperation.Update));
    }

    [Fact]
    public async Task NearExpiryEvent_FlagsTheRecord_NewVersionClearsIt()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("expiring"));

        SecretEventReport report = await SendAsync(KeyVaultEvents.NearExpiry(WorkflowHarness.ServicePrincipalSecretName, _harness.ServicePrincipalKeyVersion));
        AccountRecord flagged = (await _harness.RecordAsync("prod", "expiring"))!;
        string version = _harness.RotateServicePrincipalKey();
        await SendAsync(KeyVaultEvents.NewVersion(WorkflowHarness.ServicePrincipalSecretName, version));
        await _harness.WaitAsync("onboard-prod-expiring");

        Assert.Equal(1, report.Flagged);
        Assert.True(flagged.SecretNearExpiry);
        Assert.False((await _harness.RecordAsync("prod", "expiring"))!.SecretNearExpiry);
    }

    [Fact]
    public async Task ExpiredEvent_FlagsTheRecordLogsAnErrorAndStartsNothing()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("expired"));
        int creates = _harness.Adobe.State.Calls.Count;

        SecretEventReport report = await SendAsync(KeyVaultEvents.Expired(WorkflowHarness.ServicePrincipalSecretName, _harness.ServicePrincipalKeyVersion));

        Assert.Equal(1, report.Flagged);
        Assert.Equal(0, report.RotationsStarted);
        Assert.True((await _harness.RecordAsync("prod", "expired"))!.SecretNearExpiry);
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 1303);
        Assert.Equal(creates, _harness.Adobe.State.Calls.Count);
    }

    [Fact]
    public async Task NewVersionEvent_NewVersionNotBound_NothingSentItsValueNeverReadAndStaysConnectedWithWarning()
    {
        (_, OnboardingOutcome first) = await _harness.OnboardAsync(WorkflowHarness.Request("unboundrot"));
        string bound = _harness.ServicePrincipalKey;
        string version = _harness.RotateServicePrincipalKey(tags: new Dictionary<string, string>());

        await SendAsync(KeyVaultEvents.NewVersion(WorkflowHarness.ServicePrincipalSecretName, version));
        OnboardingOutcome outcome = (await _harness.WaitAsync("onboard-prod-unboundrot")).ReadOutputAs<OnboardingOutcome>()!;

        Assert.Equal(0, Updates);
        Assert.Equal(bound, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        Assert.DoesNotContain(_harness.KeyVault.State.Calls, c => c.Path == $"/secrets/{WorkflowHarness.ServicePrincipalSecretName}/{version}");

        // The working connection is not shown failed: connected, with the version Adobe has, and a warning naming the one not sent.
        AccountRecord record = (await _harness.RecordAsync("prod", "unboundrot"))!;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
        Assert.Equal(first.SecretVersion, record.SecretVersion);
        Assert.Equal(version, record.PendingSecretVersion);
        Assert.True(string.IsNullOrEmpty(record.ErrorCode));
        Assert.StartsWith("RotationKeyPending (SecretUnavailable)", record.Warning);
        Assert.Contains(version, record.Warning);
        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(first.ConnectionId, outcome.ConnectionId);
    }

    [Fact]
    public async Task MissedEvent_NewVersionNotBound_SweepRotatesOnlyOnceAnOperatorTagsIt()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("untaggedrot"));
        string bound = _harness.ServicePrincipalKey;
        string version = _harness.RotateServicePrincipalKey(tags: WorkflowHarness.BoundTags("someoneelse"));

        SweepReport unbound = await SweepAsync();

        Assert.Equal(0, unbound.Rotations);
        Assert.Equal(0, Updates);
        Assert.Equal(bound, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        Assert.Equal(OnboardingStatus.Connected, (await _harness.RecordAsync("prod", "untaggedrot"))!.Status);
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 1500 && e.Message.Contains("untaggedrot", StringComparison.Ordinal));

        _harness.KeyVault.State.SetTags(WorkflowHarness.ServicePrincipalSecretName, version, WorkflowHarness.BoundTags("someoneelse", "untaggedrot"));
        SweepReport tagged = await SweepAsync();
        await _harness.WaitAsync("onboard-prod-untaggedrot");

        Assert.Equal(1, tagged.Rotations);
        Assert.Equal(1, Updates);
        Assert.Equal(_harness.ServicePrincipalKey, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
    }
}
