using AdlsOnboarding.Workflow.Retention;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace AdlsOnboarding.Functions;

/// <summary>Purges old orchestration history on the schedule in the app setting <c>HistoryPurgeSchedule</c>.</summary>
public sealed class HistoryRetentionFunction(HistoryRetention retention)
{
    [Function(nameof(PurgeHistory))]
    public Task PurgeHistory(
        [TimerTrigger("%" + RetentionOptions.ScheduleSetting + "%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        retention.PurgeAsync(client, cancellationToken);
}
