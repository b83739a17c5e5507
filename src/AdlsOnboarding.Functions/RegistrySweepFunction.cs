using AdlsOnboarding.Workflow.Registry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace AdlsOnboarding.Functions;

/// <summary>The registry sweep on the schedule in the app setting <c>OnboardingSweepSchedule</c> (NCRONTAB).</summary>
public sealed class RegistrySweepFunction(RegistrySweeper sweeper)
{
    [Function(nameof(SweepRegistry))]
    public Task SweepRegistry(
        [TimerTrigger("%" + SweepOptions.ScheduleSetting + "%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        sweeper.SweepAsync(client, cancellationToken);
}
