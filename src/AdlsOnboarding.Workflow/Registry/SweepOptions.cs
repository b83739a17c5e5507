using System.ComponentModel.DataAnnotations;

namespace AdlsOnboarding.Workflow.Registry;

/// <summary>
/// The registry sweep (section <c>Sweep</c>; its schedule is the app setting <c>OnboardingSweepSchedule</c>, an
/// NCRONTAB expression with seconds, because the Functions timer trigger reads it as <c>%OnboardingSweepSchedule%</c>).
/// </summary>
public sealed class SweepOptions
{
    public const string Section = "Sweep";
    public const string ScheduleSetting = "OnboardingSweepSchedule";
    public const string DefaultSchedule = "0 */5 * * * *";

    /// <summary>Most onboardings one sweep starts; the rest wait for the next sweep.</summary>
    [Range(1, 10000)]
    public int MaxStartsPerSweep { get; set; } = 50;

    /// <summary>Wait after the first transient failure; doubles with each failure in a row.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMinutes(5);

    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromHours(6);

    /// <summary>A record still <c>Onboarding</c> this long after its last update, with no running orchestration, is started again.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan StaleOnboardingAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A connected account's key expiring within this window is flagged (like Key Vault's near-expiry event).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan NearExpiryWindow { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan BackoffAfter(int consecutiveFailures)
    {
        double factor = Math.Pow(2, Math.Clamp(consecutiveFailures - 1, 0, 30));
        double ms = Math.Min(RetryBackoff.TotalMilliseconds * factor, MaxRetryBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms);
    }
}
