using System.Threading.RateLimiting;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// Bounds this instance's calls to the Flow Service: at most <see cref="AdobeOptions.MaxConcurrentCalls"/> at once and
/// <see cref="AdobeOptions.MaxCallsPerSecond"/> per second, and none at all while a 429's (or a 503's) <c>Retry-After</c> runs:
/// one throttled call pauses every sender, not only itself. A pause is waited out in process only up to
/// <see cref="AdobeOptions.MaxInProcessPauseSeconds"/>, and without holding a concurrency slot; a longer one fails the
/// call unsent, as transient with the rest of the wait, for the durable retry. The app-wide bound is these limits times
/// the number of instances (the Function App's maximum instance count, set by the Bicep).
/// </summary>
public sealed class AdobeTrafficGate : IDisposable
{
    private readonly SemaphoreSlim _concurrency;
    private readonly TokenBucketRateLimiter? _rate;
    private readonly RetryAfterPause _pause;
    private readonly TimeSpan _maxPause;
    private readonly int _slots;

    private readonly WorkflowMetrics? _metrics;

    public AdobeTrafficGate(IOptions<AdobeOptions> options, TimeProvider time, WorkflowMetrics? metrics = null)
    {
        _metrics = metrics;
        AdobeOptions settings = options.Value;
        _pause = new RetryAfterPause(time, "Flow Service call");
        _maxPause = TimeSpan.FromSeconds(settings.MaxInProcessPauseSeconds);
        _slots = settings.MaxConcurrentCalls;
        _concurrency = new SemaphoreSlim(settings.MaxConcurrentCalls, settings.MaxConcurrentCalls);
        _rate = settings.MaxCallsPerSecond <= 0 ? null : new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.MaxCallsPerSecond,
            TokensPerPeriod = settings.MaxCallsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    public DateTimeOffset PausedUntil => _pause.Until;

    /// <summary>
    /// Waits for the end of any pause (up to the cap), a slot and a token; dispose the result when the call is over.
    /// A pause longer than the cap throws a transient <see cref="AdobeServiceException"/> carrying the remaining wait.
    /// Inside an activity, waits longer than its <see cref="Onboarding.ActivityBudget"/> leaves, or a start with less
    /// than a quarter of it left, throw <see cref="Onboarding.ActivityHandOverException"/> instead: nothing is sent.
    /// </summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan waited = await _pause.WaitAsync(_maxPause, cancellationToken).ConfigureAwait(false);
            if (waited > TimeSpan.Zero)
            {
                _metrics?.WaitedForRetryAfter(waited);
            }

            // Inside an activity, the queue for a slot and a token is bounded by what its budget leaves.
            TimeSpan allowance = Onboarding.ActivityBudget.CapWait(Timeout.InfiniteTimeSpan);
            if (!await _concurrency.WaitAsync(allowance, cancellationToken).ConfigureAwait(false))
            {
                throw new Onboarding.ActivityHandOverException($"Flow Service call not sent: no free slot of {_slots} within the activity's budget", retryAfter: null);
            }

            try
            {
                await AcquireRateAsync(allowance, cancellationToken).ConfigureAwait(false);

                // A pause may have begun while this caller queued: wait it out again, without holding the slot.
                if (_pause.Remaining <= TimeSpan.Zero)
                {
                    Onboarding.ActivityBudget.EnsureCallMayStart("Flow Service call");
                    return new Slot(_concurrency);
                }
            }
            catch
            {
                _concurrency.Release();
                throw;
            }

            _concurrency.Release();
        }
    }

    private async Task AcquireRateAsync(TimeSpan allowance, CancellationToken cancellationToken)
    {
        if (_rate is null)
        {
            return;
        }

        using CancellationTokenSource bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (allowance != Timeout.InfiniteTimeSpan)
        {
            bounded.CancelAfter(allowance);
        }

        try
        {
            using RateLimitLease lease = _rate.AttemptAcquire(1) is { IsAcquired: true } now ? now : await _rate.AcquireAsync(1, bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new Onboarding.ActivityHandOverException("Flow Service call not sent: the rate limit leaves no start within the activity's budget", retryAfter: null);
        }
    }

    /// <summary>Holds every sender back until <paramref name="retryAfter"/> has passed (never shortens a pause).</summary>
    public void Pause(TimeSpan retryAfter, string code = "429") => _pause.Pause(retryAfter, code);

    public void Dispose()
    {
        _concurrency.Dispose();
        _rate?.Dispose();
    }

    private sealed class Slot(SemaphoreSlim concurrency) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                concurrency.Release();
            }
        }
    }
}
