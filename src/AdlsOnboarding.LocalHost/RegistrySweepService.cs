using AdlsOnboarding.Workflow.Registry;
using Microsoft.DurableTask.Client;
using NCrontab;

namespace AdlsOnboarding.LocalHost;

/// <summary>
/// The local host's registry sweep: the same <see cref="RegistrySweeper"/> as the Functions timer trigger, on the same
/// NCRONTAB schedule (<c>OnboardingSweepSchedule</c>, with seconds; empty or <c>off</c> disables it).
/// </summary>
internal sealed class RegistrySweepService(RegistrySweeper sweeper, DurableTaskClient client, IConfiguration configuration, TimeProvider time, ILogger<RegistrySweepService> logger) : BackgroundService
{
    public static CrontabSchedule? ParseSchedule(string? expression) =>
        string.IsNullOrWhiteSpace(expression) || expression.Equals("off", StringComparison.OrdinalIgnoreCase)
            ? null
            : CrontabSchedule.Parse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CrontabSchedule? schedule = ParseSchedule(configuration[SweepOptions.ScheduleSetting] ?? SweepOptions.DefaultSchedule);
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
                await sweeper.SweepAsync(client, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A failed sweep (storage hiccup) is logged; the next tick tries again, as the timer trigger would.
                logger.LogWarning(ex, "Registry sweep failed");
            }
        }
    }
}
