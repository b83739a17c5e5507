using AdlsOnboarding.Workflow.Adobe;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// The gate's <c>Retry-After</c> pause is waited out in process only up to the cap: a longer one fails the call at once,
/// unsent and transient with the remaining wait, so the durable retry (a durable timer) does the waiting.
/// </summary>
public sealed class AdobeTrafficGateTests : IDisposable
{
    // A deadline for "completes at all", never a measured duration: the gate's time is the fake one.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly AdobeTrafficGate _gate;

    public AdobeTrafficGateTests() =>
        _gate = new AdobeTrafficGate(Options.Create(new AdobeOptions { MaxConcurrentCalls = 1, MaxCallsPerSecond = 0, MaxInProcessPauseSeconds = 5 }), _time);

    public void Dispose() => _gate.Dispose();

    [Fact]
    public async Task Enter_PausedForADay_FailsAtOnceTransientWithTheWholeRemainingWait()
    {
        _gate.Pause(TimeSpan.FromDays(1), "429050");

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => _gate.EnterAsync(CancellationToken.None).WaitAsync(Generous));

        Assert.True(ex.IsTransient);
        Assert.False(ex.RequestMayHaveSucceeded);
        Assert.Equal(429, ex.Status);
        Assert.Equal("429050", ex.Code);
        Assert.Equal(TimeSpan.FromDays(1), ex.RetryAfter);
    }

    [Fact]
    public async Task Enter_PausedUntilTheEndOfTime_NoOverflowAndNoWait()
    {
        _gate.Pause(TimeSpan.MaxValue, "429");

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => _gate.EnterAsync(CancellationToken.None).WaitAsync(Generous));

        Assert.Equal(DateTimeOffset.MaxValue, _gate.PausedUntil);
        Assert.True(ex.RetryAfter > TimeSpan.FromDays(365 * 7000));
    }

    [Fact]
    public async Task Enter_PausedWithinTheCap_WaitsItOutThenEnters()
    {
        _gate.Pause(TimeSpan.FromSeconds(4), "429");

        Task<IDisposable> enter = _gate.EnterAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.False(enter.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        using IDisposable slot = await enter.WaitAsync(Generous);
    }

    [Fact]
    public async Task Pause_ShorterOneLater_DoesNotShortenTheFirst()
    {
        _gate.Pause(TimeSpan.FromMinutes(10), "first");
        _gate.Pause(TimeSpan.FromSeconds(1), "second");

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => _gate.EnterAsync(CancellationToken.None).WaitAsync(Generous));

        Assert.Equal("first", ex.Code);
        Assert.Equal(TimeSpan.FromMinutes(10), ex.RetryAfter);
    }
}
