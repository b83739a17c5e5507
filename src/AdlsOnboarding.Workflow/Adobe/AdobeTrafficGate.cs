using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// Bounds this instance's calls to the Flow Service: at most <see cref="AdobeOptions.MaxConcurrentCalls"/> at once and
/// <see cref="AdobeOptions.MaxCallsPerSecond"/> per second, and none at all while a 429's (or a 503's) <c>Retry-After</c> runs:
/// one throttled call pauses every sender, not only itself. The app-wide bound is these limits times the number of
/// instances (the Function App's maximum instance count, set by the Bicep).
/// </summary>
public sealed class AdobeTrafficGate : IDisposable
{
    private readonly SemaphoreSlim _concurrency;
    private readonly TokenBucketRateLimiter? _rate;
    private readonly TimeProvider _time;
    private long _pausedUntilTicks;

    private readonly Telemetry.WorkflowMetrics? _metrics;

    public AdobeTrafficGate(IOptions<AdobeOptions> options, TimeProvider time, Telemetry.WorkflowMetrics? metrics = null)
    {
        _metrics = metrics;
        AdobeOptions settings = options.Value;
        _time = time;
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

    public DateTimeOffset PausedUntil => new(Interlocked.Read(ref _pausedUntilTicks), TimeSpan.Zero);

    /// <summary>Waits for a slot, a token and the end of any pause; dispose the result when the call is over.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                TimeSpan pause = PausedUntil - _time.GetUtcNow();
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
                    _metrics?.WaitedForRetryAfter(pause);
                    continue;
                }

                if (_rate is not null)
                {
                    using RateLimitLease lease = await _rate.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
                }

                // A pause may have begun while this caller queued for a token.
                if (PausedUntil <= _time.GetUtcNow())
                {
                    return new Slot(_concurrency);
                }
            }
        }
        catch
        {
            _concurrency.Release();
            throw;
        }
    }

    /// <summary>Holds every sender back until <paramref name="retryAfter"/> has passed (never shortens a pause).</summary>
    public void Pause(TimeSpan retryAfter)
    {
        long until = (_time.GetUtcNow() + retryAfter).UtcTicks;
        long current;
        do
        {
            current = Interlocked.Read(ref _pausedUntilTicks);
            if (current >= until)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _pausedUntilTicks, until, current) != current);
    }

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
