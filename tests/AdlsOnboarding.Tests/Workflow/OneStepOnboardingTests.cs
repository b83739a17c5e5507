using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>The one-step onboarding (<see cref="OnboardingOrchestrationV2"/>): its budget hand-over and its retries.</summary>
public sealed class OneStepOnboardingTests
{
    [Fact]
    public async Task Onboard_ThrottlePauseLongerThanTheBudgetLeaves_HandedToTheDurableRetryWithoutUsingAnAttempt()
    {
        // One attempt only, and a budget of 4 s: a 10 s pause (inside Adobe:MaxInProcessPauseSeconds) does not fit.
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(s =>
        {
            s["Onboarding:MaxAttempts"] = "1";
            s["Onboarding:ActivityBudget"] = "00:00:04";
        });
        harness.Host.Services.GetRequiredService<AdobeTrafficGate>().Pause(TimeSpan.FromSeconds(10), "429");

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("handover"), TimeSpan.FromMinutes(2));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Single(harness.Adobe.State.Connections);
        AccountRecord record = (await harness.RecordAsync("prod", "handover"))!;
        Assert.Equal(1, record.AttemptCount);
        Assert.Contains(harness.Logs.Entries, e => e.EventId.Id == 1003 && e.Message.Contains(ActivityHandOverException.ErrorCode, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Onboard_PermanentFailure_RecordsFailedWithTheAttemptsMade()
    {
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 503));
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 400, Code: "1415-400"));

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("permanent"));

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        AccountRecord record = (await harness.RecordAsync("prod", "permanent"))!;
        Assert.Equal(OnboardingStatus.Failed, record.Status);
        Assert.Equal(outcome.ErrorCode, record.ErrorCode);
        Assert.Equal(2, record.AttemptCount);
        Assert.Empty(harness.Adobe.State.Connections);
    }

    [Fact]
    public async Task Onboard_FirstTime_ThreeAccountTableRequests_AndTheRecordHoldsTheConnection()
    {
        CountingPolicy counter = new();
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(
            configureServices: services => services.AddSingleton<Action<TableClientOptions>>(o => o.AddPolicy(counter, HttpPipelinePosition.PerRetry)));

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("counted"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        // Mark Onboarding (an API start's first attempt adds the record without reading it first); the write-ahead mark;
        // Connected with the connection: each write conditional on the ETag the one before returned, no read at all.
        Assert.Equal(["POST", "PATCH", "PATCH"], counter.Requests("counted"));
        AccountRecord record = (await harness.RecordAsync("prod", "counted"))!;
        Assert.Equal(outcome.ConnectionId, record.ConnectionId);
        Assert.Equal(harness.Adobe.State.Settings.ClientId, record.ConnectionCreatedClient);
        Assert.False(record.CreatePending);
        Assert.Equal(OnboardingStatus.Connected, record.Status);
    }

    [Fact]
    public async Task Onboard_CrashAfterTheCreateBeforeTheConnectedMark_NextAttemptFindsTheConnectionAndPostsNothing()
    {
        // The Connected mark (which also records the connection) fails once: the next attempt must find the created
        // connection by its look-up, not post a second one.
        FailNthWritePolicy failConnectedMark = new("crashmark", failOn: 3);
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(
            s => s["Onboarding:CreateLease"] = "00:00:01",
            services => services.AddSingleton<Action<TableClientOptions>>(o => o.AddPolicy(failConnectedMark, HttpPipelinePosition.PerCall)));

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("crashmark"), TimeSpan.FromMinutes(2));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(ConnectionAction.Created, outcome.Action);
        Assert.Equal(1, harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Create));
        Assert.Equal(outcome.ConnectionId, Assert.Single(harness.Adobe.State.Connections).Id);
        AccountRecord record = (await harness.RecordAsync("prod", "crashmark"))!;
        Assert.Equal(outcome.ConnectionId, record.ConnectionId);
        Assert.Equal(2, record.AttemptCount);
    }

    [Fact]
    public async Task Offboard_AfterAnOnboardingFailedBetweenTheCreateAndTheConnectedMark_DeletesTheConnectionItCreated()
    {
        // The create succeeds, the Connected mark (which is now what records the connection) fails and no attempt is
        // left: the record is Failed, with the write-ahead mark still pending and no connection id. An offboarding must
        // still find and delete the connection the app created, not report "no connection" and leave it in Adobe.
        FailNthWritePolicy failConnectedMark = new("leftover", failOn: 3);
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(
            s =>
            {
                s["Onboarding:MaxAttempts"] = "1";
                s["Onboarding:CreateLease"] = "00:00:01";
            },
            services => services.AddSingleton<Action<TableClientOptions>>(o => o.AddPolicy(failConnectedMark, HttpPipelinePosition.PerCall)));

        (_, OnboardingOutcome onboarded) = await harness.OnboardAsync(WorkflowHarness.Request("leftover"), TimeSpan.FromMinutes(2));
        Assert.Equal(OnboardingStatus.Failed, onboarded.Status);
        SimulatedConnection created = Assert.Single(harness.Adobe.State.Connections);
        AccountRecord failed = (await harness.RecordAsync("prod", "leftover"))!;
        Assert.True(string.IsNullOrEmpty(failed.ConnectionId));
        Assert.True(failed.CreatePending);

        // Someone else's connection with the same URL, made in the UI: never deleted.
        SimulatedConnection others = harness.Adobe.State.Add(new SimulatedConnection
        {
            Id = Guid.NewGuid().ToString(),
            Sandbox = "prod",
            Name = "adls-gen2-leftover",
            ConnectionSpecId = AdobeSimulatorEndpoints.AdlsGen2SpecId,
            ConnectionSpecVersion = "1.0",
            SpecName = AdobeSimulatorEndpoints.AdlsGen2SpecName,
            Auth = new SimulatedAuthParams("https://leftover.dfs.core.windows.net", "99999999-8888-7777-6666-555555555555", "other-teams-key", "fabrikam.onmicrosoft.com"),
            Etag = SimulatorState.NewEtag(),
            CreatedAt = 1000,
            CreatedClient = SimulatedConnection.UiClient,
        });
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the write-ahead lease (1 s) is over

        string instanceId = OffboardingInput.InstanceIdFor("prod", "leftover");
        await harness.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(OffboardingOrchestration), new OffboardingInput("prod", "leftover", OnboardingStatus.Failed, harness.RetrySettings), new StartOrchestrationOptions(instanceId));
        OffboardingOutcome offboarded = (await harness.WaitAsync(instanceId, TimeSpan.FromMinutes(2))).ReadOutputAs<OffboardingOutcome>()!;

        Assert.Equal(OnboardingStatus.Offboarded, offboarded.Status);
        Assert.Equal(DeletionAction.Deleted, offboarded.Deletion);
        Assert.Equal(created.Id, offboarded.ConnectionId);
        Assert.True(created.Deleted);
        Assert.False(others.Deleted);
        Assert.DoesNotContain(harness.Adobe.State.Calls, c => c.Operation is SimulatedOperation.Update or SimulatedOperation.Delete && c.Path.Contains(others.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rotate_ThePatchSentTheNewKeyAndTheConnectedMarkFails_TheRecordStillSaysWhichVersionAdobeHolds()
    {
        FailNthWritePolicy failRotationMark = new("rotated", failOn: 7);
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(
            s => s["Onboarding:MaxAttempts"] = "1",
            services => services.AddSingleton<Action<TableClientOptions>>(o => o.AddPolicy(failRotationMark, HttpPipelinePosition.PerCall)));
        (_, OnboardingOutcome first) = await harness.OnboardAsync(WorkflowHarness.Request("rotated"));
        Assert.Equal(OnboardingStatus.Connected, first.Status);
        string oldVersion = first.SecretVersion!;

        // Writes of the row: 1 Onboarding, 2 write-ahead mark, 3 Connected; then 4 the API start's add, refused (the
        // record exists), 5 Onboarding, 6 the key's PATCH recorded, 7 Connected (fails, no attempt left).
        string newVersion = harness.RotateServicePrincipalKey();
        (_, OnboardingOutcome rotation) = await harness.OnboardAsync(WorkflowHarness.Request("rotated"), TimeSpan.FromMinutes(2));

        Assert.Equal(OnboardingStatus.Failed, rotation.Status);
        Assert.Equal(harness.ServicePrincipalKey, Assert.Single(harness.Adobe.State.Connections).Auth.ServicePrincipalKey);
        AccountRecord record = (await harness.RecordAsync("prod", "rotated"))!;
        Assert.NotEqual(oldVersion, newVersion);
        Assert.Equal(newVersion, record.SecretVersion);
    }

    /// <summary>The method of each request for one account's row (the table's creation and other rows left out).</summary>
    private sealed class CountingPolicy : HttpPipelineSynchronousPolicy
    {
        private readonly List<(string Uri, string Method)> _requests = [];

        public override void OnSendingRequest(HttpMessage message)
        {
            lock (_requests)
            {
                _requests.Add((message.Request.Uri.ToString(), message.Request.Method.ToString()));
            }
        }

        public List<string> Requests(string account)
        {
            lock (_requests)
            {
                // A row's requests name it in the path (GET, PATCH: ...(PartitionKey='prod',RowKey='x')); an insert is a
                // POST to the table itself, counted when the row did not exist before.
                return [.. _requests.Where(r => r.Uri.Contains($"RowKey='{account}'", StringComparison.Ordinal) || (r.Method == "POST" && !r.Uri.Contains("/Tables", StringComparison.Ordinal))).Select(r => r.Method)];
            }
        }
    }

    /// <summary>Fails the n-th write (not read) of one row with a 503, once (1: the insert, 2: the write-ahead mark, 3: the Connected mark).</summary>
    private sealed class FailNthWritePolicy(string account, int failOn) : HttpPipelinePolicy
    {
        private int _writes;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            // The table's own creation (a POST to /Tables) is not a write of the row: counting it made "the third write"
            // the write-ahead mark, before any POST to Adobe, instead of the Connected mark.
            string uri = message.Request.Uri.ToString();
            bool write = message.Request.Method != RequestMethod.Get
                && (uri.Contains($"RowKey='{account}'", StringComparison.Ordinal) || (message.Request.Method == RequestMethod.Post && !uri.Contains("/Tables", StringComparison.Ordinal)));
            if (write && Interlocked.Increment(ref _writes) == failOn)
            {
                throw new RequestFailedException(503, "injected: the worker died before this write");
            }

            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
    }
}
