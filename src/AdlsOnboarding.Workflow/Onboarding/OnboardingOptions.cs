using System.ComponentModel.DataAnnotations;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>Workflow settings (configuration section <c>Onboarding</c>).</summary>
public sealed class OnboardingOptions
{
    public const string Section = "Onboarding";

    /// <summary>Attempts per activity call, the first included.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan FirstRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    [Range(1.0, 10.0)]
    public double BackoffCoefficient { get; set; } = 2.0;

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxRetryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>No retry starts after this much time has gone by since the first failure of a call.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxTotalRetryTime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Look a connection up before the first create of an account too, so a connection made earlier by hand is
    /// reused and a same-name connection of another account is reported as a conflict. Costs one list call.
    /// </summary>
    public bool AdoptExistingConnections { get; set; } = true;

    /// <summary>How long a create in flight holds off other attempts. Default: Adobe's request timeout plus 10 s.</summary>
    public TimeSpan? CreateLease { get; set; }

    /// <summary>
    /// How long one run of the onboarding activity may take. In-process waits (a server's pause, the Flow Service
    /// gate) stop where less than a quarter would be left, no Flow Service call starts with less than a quarter left,
    /// a call ends with the budget; what does not fit is handed to the durable retry, not counted as an attempt. Must
    /// stay well inside the durable backend's work-item visibility timeout where activity locks are not renewed (the
    /// local host refuses to start otherwise, docs/reliability.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan ActivityBudget { get; set; } = TimeSpan.FromSeconds(30);

    public OnboardingRetrySettings ToRetrySettings() =>
        new(MaxAttempts, FirstRetryInterval, BackoffCoefficient, MaxRetryInterval, MaxTotalRetryTime);
}
