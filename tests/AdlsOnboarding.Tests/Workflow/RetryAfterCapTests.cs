using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.DurableTask;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>
/// A server's <c>Retry-After</c> is waited out inside an activity only up to <c>Adobe:MaxInProcessPauseSeconds</c>;
/// a longer one goes back to the durable retry, which waits with a durable timer (or gives up past its budget), so no
/// activity of the instance sits blocked for as long as Adobe asks.
/// </summary>
public sealed class RetryAfterCapTests
{
    [Fact]
    public async Task Onboard_AdobeAsksForADay_NoActivityWaitsAndTheNextOnboardingIsNotHeldForIt()
    {
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(86400));

        (_, OnboardingOutcome first) = await harness.OnboardAsync(WorkflowHarness.Request("dayfirst"));

        // A day is beyond the durable retry's budget: the outcome is a transient failure, for the sweep to retry later.
        Assert.Equal(OnboardingStatus.Failed, first.Status);
        Assert.Equal("429050", first.ErrorCode);
        Assert.True((await harness.RecordAsync("prod", "dayfirst"))!.ErrorTransient);

        // The next onboarding of this instance is not held for a day either, nor is anything sent for it.
        (_, OnboardingOutcome second) = await harness.OnboardAsync(WorkflowHarness.Request("daysecond"));

        Assert.Equal(OnboardingStatus.Failed, second.Status);
        Assert.Equal("429050", second.ErrorCode);
        Assert.DoesNotContain(harness.Adobe.State.Calls, c => c.Path.Contains("daysecond", StringComparison.Ordinal));
        Assert.Single(harness.Adobe.State.Calls, c => c.Operation is not SimulatedOperation.Token and not SimulatedOperation.List);
    }

    [Fact]
    public async Task Onboard_ThrottledBeyondTheCap_DurableRetryWaitsAtLeastTheServersDelay()
    {
        const int retryAfterSeconds = 10;
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(s => s["Adobe:MaxInProcessPauseSeconds"] = "1");
        SimulatorState adobe = harness.Adobe.State;
        adobe.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(retryAfterSeconds));

        string first = await StartAsync(harness, "capfirst");
        RecordedCall throttled = (await Eventually.UntilAsync(
            () => Task.FromResult(adobe.Calls.FirstOrDefault(c => c.Status == 429)), c => c is not null, harness.LogText, "the create to be throttled"))!;

        // Started while the pause runs: its first Flow Service call is held back unsent, and retried durably.
        string second = await StartAsync(harness, "capsecond");
        await harness.WaitAsync(first);
        await harness.WaitAsync(second);

        Assert.All(adobe.Connections, c => Assert.Contains(c.Name, new[] { "adls-gen2-capfirst", "adls-gen2-capsecond" }));
        Assert.Equal(2, adobe.Connections.Count);
        TimeSpan serverDelay = TimeSpan.FromSeconds(retryAfterSeconds);
        List<RecordedCall> flowCalls = [.. adobe.Calls.Where(c => c.Operation != SimulatedOperation.Token && c != throttled && c.ReceivedAt >= throttled.ReceivedAt)];
        Assert.NotEmpty(flowCalls);

        // Lower bounds only: nothing went to the Flow Service before Adobe's Retry-After had passed.
        Assert.All(flowCalls, c => Assert.True(c.ReceivedAt - throttled.ReceivedAt >= serverDelay, $"{c.Operation} {c.Path} {c.ReceivedAt - throttled.ReceivedAt} after the 429"));
        Assert.Contains(harness.Logs.Entries, e => e.EventId.Id == 1003 && e.Message.Contains(second, StringComparison.Ordinal) && e.Message.Contains("429050", StringComparison.Ordinal));
    }

    private static async Task<string> StartAsync(WorkflowHarness harness, string account)
    {
        OnboardingInput input = harness.Input(WorkflowHarness.Request(account));
        string instanceId = OnboardingInstanceId.For(input.Sandbox, input.AccountName);
        await harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestrationV2), input, new StartOrchestrationOptions(instanceId));
        return instanceId;
    }
}
