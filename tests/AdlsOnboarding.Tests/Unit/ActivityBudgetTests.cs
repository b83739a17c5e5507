using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// Inside an activity's budget, the Flow Service gate waits only what the budget leaves (a quarter kept for the call)
/// and starts no call with less than a quarter left: the rest is handed to the durable retry, unsent, as a hand-over
/// that <see cref="DurableRetry"/> does not count as an attempt.
/// </summary>
public sealed class ActivityBudgetTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private static readonly OnboardingRetrySettings Retry = new(2, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly AdobeTrafficGate _gate;

    public ActivityBudgetTests() =>
        _gate = new AdobeTrafficGate(Options.Create(new AdobeOptions { MaxConcurrentCalls = 1, MaxCallsPerSecond = 0, MaxInProcessPauseSeconds = 30 }), _time);

    public void Dispose() => _gate.Dispose();

    [Fact]
    public async Task Enter_PauseTheCapAllowsButTheBudgetDoesNot_HandsOverUnsentWithTheRemainingWait()
    {
        _gate.Pause(TimeSpan.FromSeconds(20), "429");
        using ActivityBudget budget = ActivityBudget.Begin(TimeSpan.FromSeconds(20), _time);

        ActivityHandOverException ex = await Assert.ThrowsAsync<ActivityHandOverException>(() => _gate.EnterAsync(CancellationToken.None).WaitAsync(Generous));

        Assert.Equal(TimeSpan.FromSeconds(20), ex.RetryAfter);
        ClassifiedFailure failure = FailurePropertiesProvider.Classify(ex)!;
        Assert.Equal(ActivityHandOverException.ErrorCode, failure.Code);
        Assert.True(failure.IsTransient);
    }

    [Fact]
    public async Task Enter_PauseInsideWhatTheBudgetLeaves_WaitsItOut()
    {
        _gate.Pause(TimeSpan.FromSeconds(10), "429");
        using ActivityBudget budget = ActivityBudget.Begin(TimeSpan.FromSeconds(20), _time);

        Task<IDisposable> enter = _gate.EnterAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(10));

        using IDisposable slot = await enter.WaitAsync(Generous);
    }

    [Theory]
    [InlineData(14, false)]
    [InlineData(16, true)]
    public async Task Enter_WithLessThanAQuarterOfTheBudgetLeft_StartsNoCall(int elapsedSeconds, bool handsOver)
    {
        ActivityBudget budget = ActivityBudget.Begin(TimeSpan.FromSeconds(20), _time);
        _time.Advance(TimeSpan.FromSeconds(elapsedSeconds));

        if (handsOver)
        {
            await Assert.ThrowsAsync<ActivityHandOverException>(() => _gate.EnterAsync(CancellationToken.None).WaitAsync(Generous));
            budget.Dispose();
            using IDisposable free = await _gate.EnterAsync(CancellationToken.None).WaitAsync(Generous); // the slot was given back
        }
        else
        {
            using IDisposable slot = await _gate.EnterAsync(CancellationToken.None).WaitAsync(Generous);
            budget.Dispose();
        }
    }

    [Fact]
    public async Task Enter_NoFreeSlotWithinTheBudget_HandsOver()
    {
        using IDisposable held = await _gate.EnterAsync(CancellationToken.None);
        using ActivityBudget budget = ActivityBudget.Begin(TimeSpan.FromSeconds(20), _time);
        _time.Advance(TimeSpan.FromSeconds(15)); // nothing left to wait: 5 s remain, the quarter kept for the call

        await Assert.ThrowsAsync<ActivityHandOverException>(() => _gate.EnterAsync(CancellationToken.None).WaitAsync(Generous));
    }

    [Fact]
    public async Task Enter_OutsideAnActivity_NoBudgetApplies()
    {
        _gate.Pause(TimeSpan.FromSeconds(20), "429");

        Task<IDisposable> enter = _gate.EnterAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(20));

        using IDisposable slot = await enter.WaitAsync(Generous);
    }

    [Fact]
    public void Retry_HandOversDoNotCountAsAttempts()
    {
        ClassifiedFailure handOver = new(ActivityHandOverException.ErrorCode, "budget", IsTransient: true, RetryAfter: TimeSpan.FromSeconds(3));
        ClassifiedFailure transient = new("1103-503", "unavailable", IsTransient: true, RetryAfter: null);

        // Attempt 1 hands over, 2 fails, 3 hands over, 4 fails: with MaxAttempts 2, the fourth is the last.
        RetryDecision first = DurableRetry.Next(handOver, 1, TimeSpan.Zero, Retry, handOversBefore: 0);
        RetryDecision second = DurableRetry.Next(transient, 2, TimeSpan.FromSeconds(3), Retry, handOversBefore: 1);
        RetryDecision third = DurableRetry.Next(handOver, 3, TimeSpan.FromSeconds(4), Retry, handOversBefore: 1);
        RetryDecision fourth = DurableRetry.Next(transient, 4, TimeSpan.FromSeconds(7), Retry, handOversBefore: 2);

        Assert.Equal(TimeSpan.FromSeconds(3), first.Delay);
        Assert.True(first.IsHandOver);
        Assert.Equal(TimeSpan.FromSeconds(1), second.Delay);
        Assert.Equal(1, second.CountedAttempts);
        Assert.NotNull(third.Delay);
        Assert.Null(fourth.Delay);
        Assert.Equal(2, fourth.CountedAttempts);

        // Without the exemption, the same second failure would have been the last.
        Assert.Null(DurableRetry.Next(transient, 2, TimeSpan.FromSeconds(3), Retry, handOversBefore: 0).Delay);
    }

    [Fact]
    public void Retry_HandOversStillEndWithTheTotalRetryTime()
    {
        ClassifiedFailure handOver = new(ActivityHandOverException.ErrorCode, "budget", IsTransient: true, RetryAfter: TimeSpan.FromMinutes(2));

        Assert.Null(DurableRetry.Next(handOver, 50, TimeSpan.FromMinutes(59), Retry, handOversBefore: 49).Delay);
    }
}
