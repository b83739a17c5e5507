namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// How long the running activity may take (<see cref="OnboardingOptions.ActivityBudget"/>), for the code it calls:
/// in-process waits (a server's pause, the Flow Service gate) stop where less than a quarter of the budget would be
/// left, no Flow Service call starts with less than a quarter left, and a call's timeout ends with the budget. What
/// cannot be done inside the budget is handed to the durable retry (<see cref="ActivityHandOverException"/>), which
/// does not count it as an attempt. Ambient (flows with the activity's async calls); none outside an activity.
/// </summary>
public sealed class ActivityBudget : IDisposable
{
    private static readonly AsyncLocal<ActivityBudget?> Ambient = new();

    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly ActivityBudget? _outer;

    private ActivityBudget(TimeSpan total, TimeProvider time)
    {
        Total = total;
        _time = time;
        _started = time.GetTimestamp();
        _outer = Ambient.Value;
    }

    /// <summary>The budget of the activity running on this async flow, if any.</summary>
    public static ActivityBudget? Current => Ambient.Value;

    public TimeSpan Total { get; }

    /// <summary>What must still be left when a Flow Service call starts: a quarter of the budget.</summary>
    public TimeSpan Reserve => Total / 4;

    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    public TimeSpan Remaining => Total - Elapsed is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    /// <summary>How long the activity may still wait in process: what keeps <see cref="Reserve"/> for the call after the wait.</summary>
    public TimeSpan WaitAllowance => Remaining - Reserve is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    /// <summary>Starts a budget for the activity running on this async flow; dispose it when the activity ends.</summary>
    public static ActivityBudget Begin(TimeSpan total, TimeProvider time)
    {
        ActivityBudget budget = new(total, time);
        Ambient.Value = budget;
        return budget;
    }

    /// <summary>The shorter of <paramref name="cap"/> (<see cref="Timeout.InfiniteTimeSpan"/>: none) and what the current budget (if any) lets this flow wait.</summary>
    public static TimeSpan CapWait(TimeSpan cap) =>
        Current is { } budget && (cap == Timeout.InfiniteTimeSpan || budget.WaitAllowance < cap) ? budget.WaitAllowance : cap;

    /// <summary>The shorter of <paramref name="timeout"/> and what is left of the current budget (if any).</summary>
    public static TimeSpan CapCall(TimeSpan timeout) => Current is { } budget && budget.Remaining < timeout ? budget.Remaining : timeout;

    /// <summary>Hands over (throws) when a call named <paramref name="operation"/> would start with less than a quarter of the budget left.</summary>
    public static void EnsureCallMayStart(string operation)
    {
        if (Current is { } budget && budget.Remaining < budget.Reserve)
        {
            throw new ActivityHandOverException($"{operation} not started: {budget.Remaining.TotalSeconds:0.0} s of the activity's {budget.Total.TotalSeconds:0} s budget left, less than a quarter", retryAfter: null);
        }
    }

    public void Dispose()
    {
        if (ReferenceEquals(Ambient.Value, this))
        {
            Ambient.Value = _outer;
        }
    }
}

/// <summary>
/// The activity hands the rest of its work to the durable retry: its budget is too short for what it must wait for
/// or call next. Nothing was sent by the step that threw. Transient, and not counted as an attempt (<see cref="DurableRetry"/>).
/// </summary>
public sealed class ActivityHandOverException(string detail, TimeSpan? retryAfter) : Exception($"{ActivityHandOverException.ErrorCode}: {detail}")
{
    public const string ErrorCode = "ActivityBudgetSpent";

    public string Detail { get; } = detail;

    /// <summary>Not before this (a server's pause still running), if anything says so.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
