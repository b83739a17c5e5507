using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Retention;
using Microsoft.DurableTask.Client;
using NCrontab;

namespace AdlsOnboarding.LocalHost;

/// <summary>
/// The local host's registry sweep: the same <see cref="RegistrySweeper"/> as the Functions timer trigger, on the same
/// NCRONTAB schedule (<c>OnboardingSweepSchedule</c>, with seconds; empty or <c>off</c> disables it).
/// </summary>
internal sealed class RegistrySweepService(RegistrySweeper sweeper, DurableTaskClient client, IConfiguration configuration, TimeProvider time, ILogger<RegistrySweepService> logger)
    : ScheduledService(configuration[SweepOptions.ScheduleSetting] ?? SweepOptions.DefaultSchedule, time, logger)
{
    protected override Task RunOnceAsync(CancellationToken cancellationToken) => sweeper.SweepAsync(client, cancellationToken);
}

/// <summary>The local host's history purge, as the Functions timer trigger <c>PurgeHistory</c> (<c>HistoryPurgeSchedule</c>).</summary>
internal sealed class HistoryRetentionService(HistoryRetention retention, DurableTaskClient client, IConfiguration configuration, TimeProvider time, ILogger<HistoryRetentionService> logger)
    : ScheduledService(configuration[RetentionOptions.ScheduleSetting] ?? RetentionOptions.DefaultSchedule, time, logger)
{
    protected override Task RunOnceAsync(CancellationToken cancellationToken) => retention.PurgeAsync(client, cancellationToken);
}

/// <summary>Runs a job on an NCRONTAB schedule (with seconds), as a Functions timer trigger would.</summary>
internal abstract class ScheduledService(string? expression, TimeProvider time, ILogger logger) : BackgroundService
{
    public static CrontabSchedule? ParseSchedule(string? expression) =>
        string.IsNullOrWhiteSpace(expression) || expression.Equals("off", StringComparison.OrdinalIgnoreCase)
            ? null
            : CrontabSchedule.Parse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CrontabSchedule? schedule = ParseSchedule(expression);
        if (schedule is null)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            DateTime now = time.GetUtcNow().UtcDateTime;
            TimeSpan wait = schedule.GetNextOccurrence(now) - now;
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, stoppingToken).ConfigureAwait(false);
            try
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A failed run (storage hiccup) is logged; the next tick tries again, as the timer trigger would.
                logger.LogWarning(ex, "Scheduled job {Job} failed", GetType().Name);
            }
        }
    }
}
