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

    private readonly WorkflowMetrics? _metrics;

    public AdobeTrafficGate(IOptions<AdobeOptions> options, TimeProvider time, WorkflowMetrics? metrics = null)
    {
        _metrics = metrics;
        AdobeOptions settings = options.Value;
        _pause = new RetryAfterPause(time, "Flow Service call");
        _maxPause = TimeSpan.FromSeconds(settings.MaxInProcessPauseSeconds);
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

            await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_rate is not null)
                {
                    using RateLimitLease lease = await _rate.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                _concurrency.Release();
                throw;
            }

            // A pause may have begun while this caller queued: wait it out again, without holding the slot.
            if (_pause.Remaining <= TimeSpan.Zero)
            {
                return new Slot(_concurrency);
            }

            _concurrency.Release();
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
