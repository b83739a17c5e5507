using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Preflight;
using AdlsOnboarding.Workflow.Storage;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>
/// The one step when runs overlap or stop between its marks (found by a red-team pass over issue 18): what an
/// offboarding finds after a re-onboarding stopped before `Connected`, a run delivered twice, a hand-over after the
/// write-ahead mark.
/// </summary>
public sealed class OneStepRaceTests
{
    [Fact]
    public async Task Offboard_AfterAReonboardingFailedBetweenTheCreateAndTheConnectedMark_DeletesTheNewConnectionNotOnlyTheGoneOne()
    {
        // The account was onboarded (connection 1) and offboarded: its record keeps connection 1's id for audit. It is
        // onboarded again: connection 1 is gone, so a connection 2 is created; the Connected mark (which is what records
        // connection 2 since the one-step change) fails and no attempt is left. The record still names connection 1 and
        // the write-ahead mark is pending. The offboarding deletes connection 2: it does not report connection 1 "already
        // gone" and mark the account Offboarded while connection 2 (with the service principal's key) lives on in Adobe.
        FailConnectedMarkPolicy failConnectedMark = new("reborn");
        await using WorkflowHarness harness = await StartWithTablePolicyAsync(failConnectedMark, s =>
        {
            s["Onboarding:MaxAttempts"] = "1";
            s["Onboarding:CreateLease"] = "00:00:01";
        });

        (_, OnboardingOutcome first) = await harness.OnboardAsync(WorkflowHarness.Request("reborn"));
        Assert.Equal(OnboardingStatus.Connected, first.Status);
        OffboardingOutcome firstOffboarding = await OffboardAsync(harness, "reborn", OnboardingStatus.Connected);
        Assert.Equal(DeletionAction.Deleted, firstOffboarding.Deletion);

        failConnectedMark.Armed = true;
        (_, OnboardingOutcome second) = await harness.OnboardAsync(WorkflowHarness.Request("reborn"), TimeSpan.FromMinutes(2));
        Assert.Equal(OnboardingStatus.Failed, second.Status);
        SimulatedConnection reborn = Assert.Single(harness.Adobe.State.Connections, c => !c.Deleted);
        Assert.NotEqual(first.ConnectionId, reborn.Id);
        AccountRecord failed = (await harness.RecordAsync("prod", "reborn"))!;
        Assert.Equal(first.ConnectionId, failed.ConnectionId);
        Assert.True(failed.CreatePending);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the write-ahead lease (1 s) is over

        OffboardingOutcome offboarded = await OffboardAsync(harness, "reborn", OnboardingStatus.Failed);

        Assert.Equal(OnboardingStatus.Offboarded, offboarded.Status);
        Assert.True(reborn.Deleted, $"connection {reborn.Id}, created by the failed re-onboarding, is still live in Adobe though the account is {offboarded.Status} ({offboarded.Deletion} {offboarded.ConnectionId})");
        Assert.DoesNotContain(harness.Adobe.State.Connections, c => !c.Deleted);
    }

    [Fact]
    public async Task Onboard_GatePausedBetweenTheWriteAheadMarkAndThePost_TheHandOverUsesNoAttempt()
    {
        // Another account's 429 pauses the gate (every sender of the instance) just after this onboarding wrote its
        // write-ahead mark: the POST does not fit the budget and is handed over, unsent. A hand-over "is not counted
        // against Onboarding:MaxAttempts, so a busy gate cannot fail an onboarding" (docs/reliability.md): the mark is
        // taken back, so the next attempt does not meet its own lease (CreateInProgress, a counted attempt, which with
        // one attempt allowed failed an onboarding of which nothing had reached Adobe).
        PauseGateAfterWriteAheadMark pauseAfterMark = new("busygate");
        await using WorkflowHarness harness = await StartWithTablePolicyAsync(pauseAfterMark, s =>
        {
            s["Onboarding:MaxAttempts"] = "1";
            s["Onboarding:ActivityBudget"] = "00:00:04";
            s["Onboarding:CreateLease"] = "00:00:30";
        });
        pauseAfterMark.Gate = harness.Host.Services.GetRequiredService<AdobeTrafficGate>();

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("busygate"), TimeSpan.FromMinutes(2));

        Assert.True(pauseAfterMark.Paused);
        Assert.True(OnboardingStatus.Connected == outcome.Status, $"ended {outcome.Status} {outcome.ErrorCode}: {outcome.ErrorMessage}");
        Assert.Single(harness.Adobe.State.Connections);
        Assert.Equal(1, (await harness.RecordAsync("prod", "busygate"))!.AttemptCount);
    }

    [Fact]
    public async Task OnboardActivityDeliveredTwice_TheFirstRunStalledInItsPreflight_DoesNotCallTheOtherRunsCreateAConflict()
    {
        // The local host does not renew activity locks: a run that outlives the visibility timeout is delivered again
        // while it still runs. The pre-flight (sign-in and list, 30 s each by default), Key Vault and Table calls are
        // outside the activity budget, so a run can stall there that long. Run 1 read the record (its own snapshot,
        // no create pending) and stalls in the pre-flight; run 2 (the redelivery, or the retry after run 1's
        // hand-over) creates the connection and marks the account Connected. Run 1 then looks up and finds the app's
        // own create; deciding on the record it read before the stall, it called it someone else's (ConnectionConflict,
        // a permanent failure). It reads the record again first, and reuses the connection.
        StallingPreflight stall = new();
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(
            configureServices: services => services.AddSingleton<IPreflightChecker>(sp => stall.Wrap(ActivatorUtilities.CreateInstance<PreflightChecker>(sp))));
        OnboardAccountActivity activity = harness.Host.Services.GetRequiredService<OnboardAccountActivity>();
        OnboardingInput onboarding = harness.Input(WorkflowHarness.Request("twice"));
        OnboardAccountInput input = new(onboarding, OnboardingInstanceId.For("prod", "twice"), Attempt: 1);

        Task<OnboardAccountResult> first = Task.Run(() => activity.RunAsync(input));
        await stall.Entered.WaitAsync(TimeSpan.FromMinutes(2));
        OnboardAccountResult second = await Task.Run(() => activity.RunAsync(input));
        Assert.Equal(ConnectionAction.Created, second.Connection.Action);
        stall.Release();

        Exception? failure = await Record.ExceptionAsync(() => first);

        Assert.True(failure is null, $"the stalled run failed: {failure?.Message}");
        Assert.Equal(second.Connection.ConnectionId, (await first).Connection.ConnectionId);
        Assert.Single(harness.Adobe.State.Connections);
    }

    private static Task<WorkflowHarness> StartWithTablePolicyAsync(HttpPipelinePolicy policy, Action<Dictionary<string, string?>> configure) =>
        WorkflowHarness.StartAsync(configure, services => services.AddSingleton<Action<TableClientOptions>>(o => o.AddPolicy(policy, HttpPipelinePosition.PerCall)));

    private static async Task<OffboardingOutcome> OffboardAsync(WorkflowHarness harness, string account, OnboardingStatus previous)
    {
        string instanceId = OffboardingInput.InstanceIdFor("prod", account);
        await harness.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(OffboardingOrchestration), new OffboardingInput("prod", account, previous, harness.RetrySettings), new StartOrchestrationOptions(instanceId));
        return (await harness.WaitAsync(instanceId, TimeSpan.FromMinutes(2))).ReadOutputAs<OffboardingOutcome>()!;
    }

    /// <summary>Fails, once armed, the first write of one row that marks it Connected (a 503 before it reaches the table).</summary>
    private sealed class FailConnectedMarkPolicy(string account) : HttpPipelinePolicy
    {
        private int _failed;

        public volatile bool Armed;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            string uri = message.Request.Uri.ToString();
            bool write = message.Request.Method != RequestMethod.Get
                && (uri.Contains($"RowKey='{account}'", StringComparison.Ordinal) || (message.Request.Method == RequestMethod.Post && !uri.Contains("/Tables", StringComparison.Ordinal)));
            if (Armed && write && message.Request.Content is { } content)
            {
                using MemoryStream body = new();
                await content.WriteToAsync(body, message.CancellationToken).ConfigureAwait(false);
                string text = System.Text.Encoding.UTF8.GetString(body.ToArray());
                if (text.Contains("\"Status\":\"Connected\"", StringComparison.Ordinal) && Interlocked.Exchange(ref _failed, 1) == 0)
                {
                    throw new RequestFailedException(503, "injected: the worker died before the Connected mark");
                }
            }

            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
    }

    /// <summary>Pauses the Adobe gate for 5 s (as another account's 429 would) once the row's write-ahead mark is written.</summary>
    private sealed class PauseGateAfterWriteAheadMark(string account) : HttpPipelinePolicy
    {
        public AdobeTrafficGate? Gate;

        public volatile bool Paused;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            bool mark = false;
            if (!Paused && message.Request.Method != RequestMethod.Get && message.Request.Uri.ToString().Contains($"RowKey='{account}'", StringComparison.Ordinal) && message.Request.Content is { } content)
            {
                using MemoryStream body = new();
                await content.WriteToAsync(body, message.CancellationToken).ConfigureAwait(false);
                mark = System.Text.Encoding.UTF8.GetString(body.ToArray()).Contains("\"CreatePending\":true", StringComparison.Ordinal);
            }

            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            if (mark && message.Response.Status is >= 200 and < 300)
            {
                Gate!.Pause(TimeSpan.FromSeconds(5), "429");
                Paused = true;
            }
        }
    }

    /// <summary>Holds the first pre-flight until released (a slow Entra ID or account), passes the others on at once.</summary>
    private sealed class StallingPreflight
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public Task Entered => _entered.Task;

        public void Release() => _released.TrySetResult();

        public IPreflightChecker Wrap(IPreflightChecker inner) => new Checker(this, inner);

        private sealed class Checker(StallingPreflight owner, IPreflightChecker inner) : IPreflightChecker
        {
            public async Task<PreflightResult> CheckAsync(PreflightRequest request, CancellationToken cancellationToken = default)
            {
                if (Interlocked.Increment(ref owner._calls) == 1)
                {
                    owner._entered.TrySetResult();
                    await owner._released.Task.WaitAsync(cancellationToken);
                }

                return await inner.CheckAsync(request, cancellationToken);
            }
        }
    }
}
