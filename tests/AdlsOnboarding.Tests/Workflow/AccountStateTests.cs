using System.Diagnostics.Metrics;
using System.Text.Json;
using AdlsOnboarding.Api;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Api;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Tests.Rotation;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Rotation;
using AdlsOnboarding.Workflow.Storage;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>
/// Every state an account can be left in has a way out, and a caller holding the function key cannot wedge an
/// account or the registry: registration updates are never lost to a running onboarding, stuck offboardings and
/// terminated onboardings wait for an operator (and only for one), one bad record does not stop the sweep, and a
/// registration stored under older rules is shown, counted and kept connected.
/// </summary>
public sealed class AccountStateTests
{
    private const string Base = WorkflowHarness.PublicBaseUrl;

    private static Task<WorkflowHarness> StartAsync(HttpPipelinePolicy? tablePolicy = null, Action<Dictionary<string, string?>>? configure = null) =>
        WorkflowHarness.StartAsync(
            configure,
            services =>
            {
                if (tablePolicy is not null)
                {
                    services.AddSingleton<Action<TableClientOptions>>(o => o.AddPolicy(tablePolicy, HttpPipelinePosition.PerCall));
                }
            });

    private static string Registration(string? description = null) => JsonSerializer.Serialize(new
    {
        clientId = WorkflowHarness.ClientId,
        tenant = WorkflowHarness.Tenant,
        secretName = WorkflowHarness.ServicePrincipalSecretName,
        description,
    });

    private static async Task<ApiResponse> PutAsync(WorkflowHarness harness, string account, string body)
    {
        var request = ApiCall.Request("PUT", $"{Base}/api/accounts/prod/{account}", body);
        return await ApiCall.ExecuteAsync(request, await harness.Host.Services.GetRequiredService<AccountsApi>().PutAsync(request, harness.Client, "prod", account));
    }

    private static async Task<ApiResponse> DeleteAsync(WorkflowHarness harness, string account)
    {
        var request = ApiCall.Request("DELETE", $"{Base}/api/accounts/prod/{account}", contentType: null);
        return await ApiCall.ExecuteAsync(request, await harness.Host.Services.GetRequiredService<AccountsApi>().DeleteAsync(request, harness.Client, "prod", account));
    }

    private static Task<SweepReport> SweepAsync(WorkflowHarness harness) =>
        harness.Host.Services.GetRequiredService<RegistrySweeper>().SweepAsync(harness.Client);

    private static async Task TerminateAsync(WorkflowHarness harness, string instanceId)
    {
        await harness.Client.TerminateInstanceAsync(instanceId);
        await harness.WaitUntilAsync(async () => (await harness.Client.GetInstanceAsync(instanceId))?.RuntimeStatus == OrchestrationRuntimeStatus.Terminated, $"{instanceId} to be terminated");
    }

    // ---- Item 4: a registration update is never lost to a running onboarding ----

    [Fact]
    public async Task Put_AfterTheSweepScheduledTheOnboardingBeforeItsFirstRecordWrite_409AndTheOnboardingKeepsItsRegistration()
    {
        HoldFirstWritePolicy hold = new();
        await using WorkflowHarness harness = await StartAsync(hold);
        Assert.Equal(201, (await PutAsync(harness, "raceacct", Registration(description: "first"))).Status);
        hold.Arm();
        Assert.Equal(1, (await SweepAsync(harness)).Started);
        await hold.Caught.Task.WaitAsync(Eventually.DefaultTimeout);

        // The record still says Pending: only the durable client knows the onboarding is scheduled.
        ApiResponse put = await PutAsync(harness, "raceacct", Registration(description: "second"));
        hold.Release();
        await harness.WaitAsync("onboard-prod-raceacct");

        Assert.Equal(409, put.Status);
        Assert.Equal("application/problem+json", put.ContentType);
        Assert.Equal("onboard-prod-raceacct", put.Json.GetProperty("instanceId").GetString());
        AccountRecord record = (await harness.RecordAsync("prod", "raceacct"))!;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
        Assert.Equal("first", record.Description);
        Assert.Equal("first", Assert.Single(harness.Adobe.State.Connections).Description);
    }

    [Fact]
    public async Task Onboarding_RegistrationChangedAfterItsInputWasRead_RecordsItsConnectionKeepsTheNewerRegistrationAndTheSweepAppliesIt()
    {
        HoldFirstWritePolicy hold = new();
        await using WorkflowHarness harness = await StartAsync(hold);
        AccountRecordStore store = harness.Host.Services.GetRequiredService<AccountRecordStore>();
        using SweepMetrics metrics = new(harness);
        Assert.Equal(201, (await PutAsync(harness, "lateput", Registration(description: "first"))).Status);
        hold.Arm();
        Assert.Equal(1, (await SweepAsync(harness)).Started);
        await hold.Caught.Task.WaitAsync(Eventually.DefaultTimeout);

        // A PUT that checked for a running operation just before the sweep scheduled this one writes now.
        Assert.True(harness.Host.Services.GetRequiredService<OnboardingRequestValidator>().TryValidate(WorkflowHarness.Request("lateput") with { Description = "second" }, out ValidOnboardingRequest? second, out _));
        Assert.True(await store.TryChangeRegistrationAsync(AccountRegistration.Of(second!), (await store.GetAsync("prod", "lateput"))!));
        hold.Release();
        OnboardingOutcome stale = (await harness.WaitAsync("onboard-prod-lateput")).ReadOutputAs<OnboardingOutcome>()!;
        AccountRecord afterStale = (await harness.RecordAsync("prod", "lateput"))!;
        SweepReport sweep = await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-lateput");
        AccountRecord applied = (await harness.RecordAsync("prod", "lateput"))!;

        Assert.Equal(OnboardingStatus.Connected, stale.Status);
        Assert.True("second" == afterStale.Description, $"{afterStale.Status} {afterStale.LastAction} rev {afterStale.RegistrationRevision}\n{harness.LogText()}");
        Assert.Equal(OnboardingStatus.Pending, afterStale.Status);
        Assert.Equal(AccountRecordStore.RegistrationSupersededAction, afterStale.LastAction);
        Assert.Equal(stale.ConnectionId, afterStale.ConnectionId);
        Assert.Equal(1, sweep.Started);
        Assert.Equal(OnboardingStatus.Connected, applied.Status);
        Assert.Equal("second", applied.Description);
        SimulatedConnection connection = Assert.Single(harness.Adobe.State.Connections);
        Assert.Equal(stale.ConnectionId, connection.Id);
        // The metric says what the record says: the superseded run left the account Pending, only the second connected it.
        Assert.True(1 == metrics.Sum("adls.onboarding.completed", ("adls.status", "Pending")), metrics.Dump());
        Assert.True(1 == metrics.Sum("adls.onboarding.completed", ("adls.status", "Connected")), metrics.Dump());
    }

    // ---- Item 8: stuck states have a way out ----

    [Fact]
    public async Task OffboardingFailed_PutIsAcceptedAndDeleteRetries()
    {
        FailOffboardingEndPolicy failEnd = new();
        await using WorkflowHarness harness = await StartAsync(failEnd);
        await harness.OnboardAsync(WorkflowHarness.Request("stuckoff"));
        failEnd.Enabled = true;
        Assert.Equal(202, (await DeleteAsync(harness, "stuckoff")).Status);
        await WaitForFailureAsync(harness, "offboard-prod-stuckoff");
        failEnd.Enabled = false;
        AccountRecord stuck = (await harness.RecordAsync("prod", "stuckoff"))!;

        ApiResponse put = await PutAsync(harness, "stuckoff", Registration());
        ApiResponse delete = await DeleteAsync(harness, "stuckoff");
        await harness.WaitAsync("offboard-prod-stuckoff");

        Assert.Equal(OnboardingStatus.Offboarding, stuck.Status);
        Assert.Equal(200, put.Status);
        Assert.Equal("Pending", put.Json.GetProperty("status").GetString());
        Assert.Equal(202, delete.Status);
        Assert.Equal(OnboardingStatus.Offboarded, (await harness.RecordAsync("prod", "stuckoff"))!.Status);
        Assert.True(Assert.Single(harness.Adobe.State.Connections).Deleted);
    }

    [Fact]
    public async Task Delete_AccountAlreadyOffboarded_AnswersDoneStartsNothingAndSendsNothingToAdobe()
    {
        await using WorkflowHarness harness = await StartAsync();
        await harness.OnboardAsync(WorkflowHarness.Request("doneoff"));
        Assert.Equal(202, (await DeleteAsync(harness, "doneoff")).Status);
        await harness.WaitAsync("offboard-prod-doneoff");
        AccountRecord offboarded = (await harness.RecordAsync("prod", "doneoff"))!;
        DateTimeOffset? firstRun = (await harness.Client.GetInstanceAsync("offboard-prod-doneoff"))?.CreatedAt;
        int adobeCalls = harness.Adobe.State.Calls.Count;

        ApiResponse again = await DeleteAsync(harness, "doneoff");
        OrchestrationMetadata? after = await harness.Client.GetInstanceAsync("offboard-prod-doneoff");

        Assert.Equal(OnboardingStatus.Offboarded, offboarded.Status);
        Assert.False(string.IsNullOrEmpty(offboarded.ConnectionId));
        Assert.Equal(200, again.Status);
        Assert.Equal("Offboarded", again.Json.GetProperty("status").GetString());
        Assert.Equal(offboarded.ConnectionId, again.Json.GetProperty("connectionId").GetString());
        Assert.Equal(firstRun, after?.CreatedAt);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, after?.RuntimeStatus);
        Assert.Equal(adobeCalls, harness.Adobe.State.Calls.Count);
        Assert.Equal(1, harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Delete));
        Assert.Equal(OnboardingStatus.Offboarded, (await harness.RecordAsync("prod", "doneoff"))!.Status);
    }

    [Fact]
    public async Task Delete_RepeatedAfterAnUnfinishedOffboardingAndRefused_RestoresTheStatusTheAccountHad()
    {
        FailOffboardingEndPolicy failEnd = new();
        await using WorkflowHarness harness = await StartAsync(failEnd);
        await harness.OnboardAsync(WorkflowHarness.Request("refusedoff"));
        // The account's last operation failed (a rotation Adobe refused, say); its connection is used by dataflows.
        await harness.Table.UpdateEntityAsync(new TableEntity("prod", "refusedoff") { ["Status"] = "Failed", ["ErrorCode"] = "1415-400" }, ETag.All, TableUpdateMode.Merge);
        harness.Adobe.State.Connections[0].InUseByDataflows = true;
        failEnd.Enabled = true;
        Assert.Equal(202, (await DeleteAsync(harness, "refusedoff")).Status);
        await WaitForFailureAsync(harness, "offboard-prod-refusedoff");
        failEnd.Enabled = false;
        AccountRecord stuck = (await harness.RecordAsync("prod", "refusedoff"))!;

        Assert.Equal(202, (await DeleteAsync(harness, "refusedoff")).Status);
        OffboardingOutcome refused = (await harness.WaitAsync("offboard-prod-refusedoff")).ReadOutputAs<OffboardingOutcome>()!;

        Assert.Equal(OnboardingStatus.Offboarding, stuck.Status);
        Assert.Equal("1418-400", refused.ErrorCode);
        AccountRecord record = (await harness.RecordAsync("prod", "refusedoff"))!;
        Assert.Equal(OnboardingStatus.Failed, record.Status);
        Assert.Equal("1418-400", record.ErrorCode);
        Assert.False(Assert.Single(harness.Adobe.State.Connections).Deleted);
    }

    private static Task WaitForFailureAsync(WorkflowHarness harness, string instanceId) =>
        harness.WaitUntilAsync(async () => (await harness.Client.GetInstanceAsync(instanceId))?.RuntimeStatus == OrchestrationRuntimeStatus.Failed, $"{instanceId} to fail");

    // One-step onboarding: OnboardAccountActivity marks the record Onboarding, then its Adobe create fails (503,
    // transient) and the instance waits on its durable retry timer. An operator terminates it there: nothing is in
    // flight that could still mark the record, which stays Onboarding until the sweep looks at it.
    [Fact]
    public async Task Sweep_OnboardingTerminatedByAnOperator_HeldUntilTheAccountIsRegisteredAgain()
    {
        await using WorkflowHarness harness = await StartAsync(configure: s =>
        {
            s["Sweep:StaleOnboardingAfter"] = "00:00:10";
            s["Onboarding:FirstRetryInterval"] = "00:30:00";
            s["Onboarding:MaxRetryInterval"] = "00:30:00";
            s["Onboarding:MaxTotalRetryTime"] = "02:00:00";
        });
        Assert.Equal(201, (await PutAsync(harness, "termacct", Registration())).Status);
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Unavailable());
        Assert.Equal(1, (await SweepAsync(harness)).Started);
        // Event 1003: the activity has ended (failed, transient) and the orchestrator scheduled its retry 30 minutes out.
        await harness.WaitUntilAsync(
            () => Task.FromResult(harness.Logs.Entries.Any(e => e.EventId.Id == 1003 && e.Message.Contains("onboard-prod-termacct", StringComparison.Ordinal))),
            "the refused create's retry to be scheduled");
        await harness.WaitUntilAsync(async () => (await harness.RecordAsync("prod", "termacct"))?.Status == OnboardingStatus.Onboarding, "the record to say Onboarding");
        await TerminateAsync(harness, "onboard-prod-termacct");

        // Once the record is stale, the sweep looks at it: it must not start it again.
        SweepReport held = null!;
        await harness.WaitUntilAsync(async () => (held = await SweepAsync(harness)).Due > 0, "the terminated account to be due", TimeSpan.FromMinutes(2));
        SweepReport next = await SweepAsync(harness);
        SecretEventReport rotation = await harness.Host.Services.GetRequiredService<SecretEventHandler>().HandleAsync(
            harness.Client, KeyVaultEvents.NewVersion(WorkflowHarness.ServicePrincipalSecretName, harness.RotateServicePrincipalKey()));
        AccountRecord record = (await harness.RecordAsync("prod", "termacct"))!;
        OrchestrationRuntimeStatus? afterHold = (await harness.Client.GetInstanceAsync("onboard-prod-termacct"))?.RuntimeStatus;
        ApiResponse put = await PutAsync(harness, "termacct", Registration());
        SweepReport restarted = await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-termacct");

        Assert.Equal(1, held.Terminated);
        Assert.Equal(0, held.Started);
        Assert.Equal(0, next.Due);
        Assert.Equal(0, rotation.RotationsStarted);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, afterHold);
        Assert.Equal(OnboardingStatus.Failed, record.Status);
        Assert.Equal(AccountErrorCodes.OnboardingTerminated, record.ErrorCode);
        Assert.False(record.ErrorTransient);
        Assert.Equal(200, put.Status);
        Assert.Equal("Pending", put.Json.GetProperty("status").GetString());
        Assert.Equal(1, restarted.Started);
        Assert.Equal(OnboardingStatus.Connected, (await harness.RecordAsync("prod", "termacct"))!.Status);
        Assert.Single(harness.Adobe.State.Connections);
    }

    // ---- Item 7 and the migration: the sweep goes past a bad record; old registrations are shown, never dropped ----

    [Fact]
    public async Task Sweep_OneRecordCannotBeWritten_TheOthersAreOnboardedAndTheFailureIsLoggedAndCounted()
    {
        await using WorkflowHarness harness = await StartAsync(new FailRowWritesPolicy("aaabroken"));
        using SweepMetrics metrics = new(harness);
        // Stored before the rule that reserves the app's own secrets: the sweep's write to mark it invalid fails.
        await harness.Host.Services.GetRequiredService<AccountRegistry>().RegisterAsync(harness.Client, new ValidOnboardingRequest(
            "https://aaabroken.dfs.core.windows.net", "aaabroken", WorkflowHarness.ClientId, WorkflowHarness.Tenant,
            WorkflowHarness.ImsSecretName, null, "prod", "adls-gen2-aaabroken", "stored before the rule"));
        Assert.Equal(201, (await PutAsync(harness, "zzzgood", Registration())).Status);

        SweepReport report = await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-zzzgood");

        Assert.Equal(2, report.Due);
        Assert.True(1 == report.Failed, harness.LogText());
        Assert.Equal(1, report.Started);
        Assert.Equal(OnboardingStatus.Connected, (await harness.RecordAsync("prod", "zzzgood"))!.Status);
        Assert.Contains(harness.Logs.Entries, e => e.EventId.Id == 1101 && e.Message.Contains("aaabroken", StringComparison.Ordinal));
        Assert.True(1 == metrics.Sum("adls.registry.sweep.record_failures"), metrics.Dump());
        Assert.Null(await harness.Client.GetInstanceAsync("onboard-prod-aaabroken"));
    }

    [Fact]
    public async Task Sweep_ConnectedRegistrationStoredUnderOlderRules_StaysConnectedShownAndCountedUntilRegisteredAgain()
    {
        await using WorkflowHarness harness = await StartAsync();
        using SweepMetrics metrics = new(harness);
        await harness.OnboardAsync(WorkflowHarness.Request("legacyacct"));
        string oldKey = harness.ServicePrincipalKey;
        // Accepted before surrounding whitespace was refused.
        await harness.Table.UpdateEntityAsync(new TableEntity("prod", "legacyacct") { ["Description"] = "stored before the whitespace rule " }, ETag.All, TableUpdateMode.Merge);
        harness.RotateServicePrincipalKey();

        SweepReport first = await SweepAsync(harness);
        SweepReport second = await SweepAsync(harness);
        AccountRecord shown = (await harness.RecordAsync("prod", "legacyacct"))!;
        ApiResponse view = await ApiCall.ExecuteAsync(
            ApiCall.Request("GET", $"{Base}/api/accounts/prod/legacyacct", contentType: null),
            await harness.Host.Services.GetRequiredService<AccountsApi>().GetAsync("prod", "legacyacct"));
        SimulatedConnection before = Assert.Single(harness.Adobe.State.Connections);
        string keyBefore = before.Auth.ServicePrincipalKey;
        ApiResponse put = await PutAsync(harness, "legacyacct", Registration(description: "fixed"));
        SweepReport fixedSweep = await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-legacyacct");
        AccountRecord after = (await harness.RecordAsync("prod", "legacyacct"))!;

        Assert.Equal(1, first.InvalidConnected);
        Assert.Equal(0, first.Rotations);
        Assert.Equal(1, second.InvalidConnected);
        Assert.Equal(2, metrics.Sum("adls.registry.invalid", ("adls.reason", "description")));
        Assert.Equal(OnboardingStatus.Connected, shown.Status);
        Assert.Equal(AccountErrorCodes.InvalidRegistration, shown.ErrorCode);
        Assert.Contains("description", shown.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("Connected", view.Json.GetProperty("status").GetString());
        Assert.Equal(AccountErrorCodes.InvalidRegistration, view.Json.GetProperty("errorCode").GetString());
        Assert.False(before.Deleted);
        Assert.Equal(oldKey, keyBefore);
        Assert.Equal(200, put.Status);
        Assert.Equal(1, fixedSweep.Started);
        Assert.Equal(OnboardingStatus.Connected, after.Status);
        Assert.True(string.IsNullOrEmpty(after.ErrorCode));
        Assert.Equal("fixed", after.Description);
        SimulatedConnection connection = Assert.Single(harness.Adobe.State.Connections);
        Assert.Equal(harness.ServicePrincipalKey, connection.Auth.ServicePrincipalKey);
        Assert.Equal(before.Id, connection.Id);
    }

    [Fact]
    public async Task Sweep_ConnectedAccountsKeyNotBound_StaysConnectedShowsSecretUnavailableUntilAnOperatorTagsIt()
    {
        await using WorkflowHarness harness = await StartAsync();
        using SweepMetrics metrics = new(harness);
        await harness.OnboardAsync(WorkflowHarness.Request("untagged"));
        string oldKey = harness.ServicePrincipalKey;
        string version = harness.RotateServicePrincipalKey(tags: new Dictionary<string, string>());

        SweepReport unbound = await SweepAsync(harness);
        AccountRecord shown = (await harness.RecordAsync("prod", "untagged"))!;
        string keyWhileUnbound = Assert.Single(harness.Adobe.State.Connections).Auth.ServicePrincipalKey;
        harness.KeyVault.State.SetTags(WorkflowHarness.ServicePrincipalSecretName, version, WorkflowHarness.BoundTags());
        SweepReport tagged = await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-untagged");
        AccountRecord after = (await harness.RecordAsync("prod", "untagged"))!;

        Assert.Equal(1, unbound.KeyUnavailable);
        Assert.Equal(0, unbound.Rotations);
        Assert.Equal(1, metrics.Sum("adls.registry.invalid", ("adls.reason", "SecretUnavailable")));
        Assert.Equal(OnboardingStatus.Connected, shown.Status);
        Assert.Equal("SecretUnavailable", shown.ErrorCode);
        Assert.Equal(oldKey, keyWhileUnbound);
        Assert.Equal(1, tagged.Rotations);
        Assert.Equal(OnboardingStatus.Connected, after.Status);
        Assert.True(string.IsNullOrEmpty(after.ErrorCode));
        Assert.Equal(version, after.SecretVersion);
        Assert.Equal(harness.ServicePrincipalKey, Assert.Single(harness.Adobe.State.Connections).Auth.ServicePrincipalKey);
    }

    /// <summary>Holds the first write to the records table after <see cref="Arm"/> until <see cref="Release"/>.</summary>
    private sealed class HoldFirstWritePolicy : HttpPipelinePolicy
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;

        public TaskCompletionSource Caught { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Arm() => Volatile.Write(ref _armed, 1);

        public void Release() => _release.TrySetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (IsRecordWrite(message) && Interlocked.CompareExchange(ref _armed, 0, 1) == 1)
            {
                Caught.TrySetResult();
                await _release.Task;
            }

            await ProcessNextAsync(message, pipeline);
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (IsRecordWrite(message) && Interlocked.CompareExchange(ref _armed, 0, 1) == 1)
            {
                Caught.TrySetResult();
                _release.Task.GetAwaiter().GetResult();
            }

            ProcessNext(message, pipeline);
        }
    }

    /// <summary>Fails every write to one row with 500, before it reaches Azurite.</summary>
    private sealed class FailRowWritesPolicy(string rowKey) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (IsRecordWrite(message) && Uri.UnescapeDataString(message.Request.Uri.ToUri().AbsoluteUri).Contains($"RowKey='{rowKey}'", StringComparison.Ordinal))
            {
                throw new RequestFailedException(500, "Injected: this row cannot be written", "InternalError", null);
            }
        }
    }

    /// <summary>
    /// While enabled, refuses (400) every record write that would end an offboarding (Offboarded, or refused), so
    /// that the offboarding orchestration fails and leaves the record saying Offboarding.
    /// </summary>
    private sealed class FailOffboardingEndPolicy : HttpPipelineSynchronousPolicy
    {
        public volatile bool Enabled;

        public override void OnSendingRequest(HttpMessage message)
        {
            if (!Enabled || !IsRecordWrite(message) || message.Request.Content is null)
            {
                return;
            }

            using MemoryStream body = new();
            message.Request.Content.WriteTo(body, CancellationToken.None);
            string text = System.Text.Encoding.UTF8.GetString(body.ToArray());
            if (text.Contains("\"Offboarded\"", StringComparison.Ordinal) || text.Contains("\"OffboardingRefused\"", StringComparison.Ordinal))
            {
                throw new RequestFailedException(400, "Injected: the record cannot be written", "InvalidInput", null);
            }
        }
    }

    private static bool IsRecordWrite(HttpMessage message) =>
        message.Request.Method != RequestMethod.Get && !message.Request.Uri.Path.EndsWith("/Tables", StringComparison.Ordinal);

    /// <summary>Sums this harness's counters (its own meter factory's meters only, not other tests').</summary>
    private sealed class SweepMetrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, long Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];

        public SweepMetrics(WorkflowHarness harness)
        {
            // Meters are created per factory; resolving the metrics makes sure this harness's exist.
            _ = harness.Host.Services.GetRequiredService<AdlsOnboarding.Workflow.Telemetry.WorkflowMetrics>();
            object scope = harness.Host.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                lock (_measurements)
                {
                    _measurements.Add((instrument.Name, value, tags.ToArray()));
                }
            });
            _listener.Start();
        }

        public long Sum(string name, params (string Key, string Value)[] tags)
        {
            lock (_measurements)
            {
                return _measurements
                    .Where(m => m.Name == name && tags.All(t => m.Tags.Any(k => k.Key == t.Key && Equals(k.Value, t.Value))))
                    .Sum(m => m.Value);
            }
        }

        public string Dump()
        {
            lock (_measurements)
            {
                return string.Join("\n", _measurements.Select(m => $"{m.Name} {m.Value} {string.Join(",", m.Tags.Select(t => $"{t.Key}={t.Value}"))}"));
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
