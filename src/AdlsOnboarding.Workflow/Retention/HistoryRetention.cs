using System.ComponentModel.DataAnnotations;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Retention;

/// <summary>
/// How long finished orchestrations keep their history (section <c>Retention</c>; the timer's schedule is the app
/// setting <c>HistoryPurgeSchedule</c>). The account table keeps the audit record either way.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";
    public const string ScheduleSetting = "HistoryPurgeSchedule";
    public const string DefaultSchedule = "0 0 3 * * *";

    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>Purges the history of completed, failed and terminated orchestrations older than <see cref="RetentionOptions.MaxAge"/>.</summary>
public sealed class HistoryRetention(IOptions<RetentionOptions> options, TimeProvider time, ILogger<HistoryRetention> logger)
{
    public async Task<int> PurgeAsync(DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        DateTimeOffset cutoff = time.GetUtcNow() - options.Value.MaxAge;
        PurgeResult result = await client.PurgeAllInstancesAsync(
            new PurgeInstancesFilter(CreatedFrom: DateTimeOffset.UnixEpoch, CreatedTo: cutoff, Statuses: [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated]),
            cancellationToken).ConfigureAwait(false);
        Logs.HistoryPurged(logger, result.PurgedInstanceCount, cutoff);
        return result.PurgedInstanceCount;
    }
}
