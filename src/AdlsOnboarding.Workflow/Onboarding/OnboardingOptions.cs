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
    /// Removed (see docs/ownership.md): <c>true</c> adopted any connection with the account's name and URL, whoever
    /// owned it. The app now touches only connections it created or that a request names in <c>adoptConnectionId</c>,
    /// and always looks up before a first create (a same-name or same-URL connection is a <c>ConnectionConflict</c>).
    /// Start-up refuses <c>true</c>, so a deployment that relied on it learns of the change; <c>false</c> asked for no
    /// adoption by name, which is now always so, and is accepted.
    /// </summary>
    [Obsolete("Removed: adoption is explicit (adoptConnectionId). Start-up refuses true; see docs/ownership.md.")]
    public bool? AdoptExistingConnections { get; set; }

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
