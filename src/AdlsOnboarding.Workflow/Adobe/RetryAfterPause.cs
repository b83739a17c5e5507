namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// A server's "not before" (a 429's or 503's <c>Retry-After</c>) shared by every caller of one upstream in this
/// process. A short pause is waited out in process; one longer than the cap is not: the caller fails at once with a
/// transient failure that carries the rest of the wait, and the durable retry waits it with a durable timer, so no
/// activity (nor a concurrency slot) is held for a day because a server said so. Thread-safe.
/// </summary>
internal sealed class RetryAfterPause(TimeProvider time, string operation)
{
    private readonly Lock _lock = new();
    private DateTimeOffset _until = DateTimeOffset.MinValue;
    private string _code = "429";

    public DateTimeOffset Until
    {
        get
        {
            lock (_lock)
            {
                return _until;
            }
        }
    }

    /// <summary>How long the pause still runs (zero when none).</summary>
    public TimeSpan Remaining
    {
        get
        {
            TimeSpan remaining = Until - time.GetUtcNow();
            return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
        }
    }

    /// <summary>Holds every caller back until <paramref name="retryAfter"/> has passed (never shortens a pause).</summary>
    public void Pause(TimeSpan retryAfter, string code)
    {
        DateTimeOffset now = time.GetUtcNow();

        // A far-future HTTP date must not overflow the clock.
        DateTimeOffset until = retryAfter >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + retryAfter;
        lock (_lock)
        {
            if (until > _until)
            {
                _until = until;
                _code = code;
            }
        }
    }

    /// <summary>
    /// Returns once no pause runs: at once, or after waiting out a pause of at most <paramref name="cap"/>. A longer
    /// pause throws a transient <see cref="AdobeServiceException"/> with the remaining wait as its retry-after; nothing
    /// is sent. Inside an activity, a pause the cap allows but its <see cref="Onboarding.ActivityBudget"/> does not is
    /// handed to the durable retry (<see cref="Onboarding.ActivityHandOverException"/>). Returns how long it waited.
    /// </summary>
    public async Task<TimeSpan> WaitAsync(TimeSpan cap, CancellationToken cancellationToken)
    {
        TimeSpan waited = TimeSpan.Zero;
        while (true)
        {
            TimeSpan remaining = Remaining;
            if (remaining <= TimeSpan.Zero)
            {
                return waited;
            }

            if (remaining > cap)
            {
                ThrowPauseTooLong(remaining);
            }

            if (remaining > Onboarding.ActivityBudget.CapWait(cap))
            {
                // Short enough to wait in process, but not inside what is left of this activity's budget: the
                // durable retry waits it instead, and does not count it as an attempt.
                throw new Onboarding.ActivityHandOverException(
                    $"{operation} not sent: the server asked this instance to wait {remaining.TotalSeconds:0.0} s, more than the activity's budget leaves", remaining);
            }

            await Task.Delay(remaining, time, cancellationToken).ConfigureAwait(false);
            waited += remaining;
        }
    }

    private void ThrowPauseTooLong(TimeSpan remaining)
    {
        string code;
        lock (_lock)
        {
            code = _code;
        }

        throw new AdobeServiceException(
            operation, 429, code, $"not sent: the server asked this instance to wait {remaining.TotalSeconds:0} s, longer than it waits in process",
            isTransient: true, retryAfter: remaining, requestMayHaveSucceeded: false);
    }
}
