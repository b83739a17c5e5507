using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
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
}
