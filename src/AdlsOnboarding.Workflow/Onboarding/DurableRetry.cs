using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// The durable retry rule of every activity call: exponential backoff for transient failures, never earlier than
/// the server's <c>Retry-After</c>, none for permanent ones, bounded in attempts and total time. It waits with a
/// durable timer, so no worker is held while it waits and a restart does not shorten the wait.
/// </summary>
public static class DurableRetry
{
    /// <summary>The log category of retry decisions (each says where the failure's classification was read from).</summary>
    public const string LogCategory = "AdlsOnboarding.Workflow.Onboarding.DurableRetry";

    public static TaskOptions Options(OnboardingRetrySettings settings, AttemptCounter? counter = null) =>
        TaskOptions.FromRetryHandler(Handler(settings, counter));

    public static AsyncRetryHandler Handler(OnboardingRetrySettings settings, AttemptCounter? counter = null)
    {
        // Hand-overs of this call (counted again on each replay, so the number is deterministic).
        AttemptCounter handOvers = counter ?? new AttemptCounter();
        return async retry =>
        {
            (ClassifiedFailure failure, FailureSource source) = ClassifiedFailure.Read(retry.LastFailure);
            TimeSpan? delay = Decide(failure, source, retry.LastAttemptNumber, retry.TotalRetryTime, settings, handOvers, retry.OrchestrationContext);
            if (delay is not { } wait)
            {
                return false;
            }

            await retry.OrchestrationContext.CreateTimer(wait, retry.CancellationToken);
            return true;
        };
    }

    /// <summary>
    /// Whether a failed call is tried again, and after how long (null: not again). A hand-over
    /// (<see cref="ActivityHandOverException.ErrorCode"/>: the activity's budget was too short, nothing was sent) is
    /// retried after its pause, or the first retry interval, and does not count against <see cref="OnboardingRetrySettings.MaxAttempts"/>;
    /// every retry counts against <see cref="OnboardingRetrySettings.MaxTotalRetryTime"/>. Counts the retry on
    /// <paramref name="counter"/> (<see cref="AttemptCounter.Retries"/> or <see cref="AttemptCounter.HandOvers"/>).
    /// </summary>
    public static TimeSpan? Decide(
        ClassifiedFailure failure, FailureSource source, int lastAttemptNumber, TimeSpan totalRetryTime, OnboardingRetrySettings settings, AttemptCounter counter, TaskOrchestrationContext context)
    {
        ILogger logger = context.CreateReplaySafeLogger(LogCategory);
        RetryDecision decision = Next(failure, lastAttemptNumber, totalRetryTime, settings, counter.HandOvers);
        if (decision.Delay is not { } delay)
        {
            Logs.ActivityNotRetried(logger, context.InstanceId, failure.Code, failure.IsTransient, Math.Max(decision.CountedAttempts, 1), source);
            return null;
        }

        Logs.ActivityRetrying(logger, context.InstanceId, failure.Code, decision.CountedAttempts + 1, (long)delay.TotalMilliseconds, source);
        if (decision.IsHandOver)
        {
            counter.HandedOver();
        }
        else
        {
            counter.Increment();
        }

        return delay;
    }

    /// <summary>
    /// The rule itself (no side effects): after attempt <paramref name="lastAttemptNumber"/> failed with
    /// <paramref name="failure"/>, and <paramref name="handOversBefore"/> earlier failures were hand-overs, the wait
    /// before the next attempt, or null for none.
    /// </summary>
    public static RetryDecision Next(ClassifiedFailure failure, int lastAttemptNumber, TimeSpan totalRetryTime, OnboardingRetrySettings settings, int handOversBefore)
    {
        bool handOver = failure.Code == ActivityHandOverException.ErrorCode && failure.IsTransient;
        int counted = lastAttemptNumber - handOversBefore - (handOver ? 1 : 0);
        TimeSpan delay = handOver ? DelayBefore(2, settings, failure.RetryAfter) : DelayBefore(counted + 1, settings, failure.RetryAfter);
        bool retry = failure.IsTransient && (handOver || counted < settings.MaxAttempts) && totalRetryTime + delay <= settings.MaxTotalRetryTime;
        return new RetryDecision(retry ? delay : null, handOver, counted);
    }

    /// <summary>The wait before attempt <paramref name="nextAttempt"/> (2 or more): backoff, at least Retry-After.</summary>
    public static TimeSpan DelayBefore(int nextAttempt, OnboardingRetrySettings settings, TimeSpan? retryAfter)
    {
        double factor = Math.Pow(settings.BackoffCoefficient, Math.Max(0, nextAttempt - 2));
        TimeSpan backoff = TimeSpan.FromMilliseconds(Math.Min(settings.FirstRetryInterval.TotalMilliseconds * factor, settings.MaxRetryInterval.TotalMilliseconds));
        return retryAfter is { } serverDelay && serverDelay > backoff ? serverDelay : backoff;
    }
}

/// <summary>What <see cref="DurableRetry.Next"/> decided: the wait (null: no retry), whether the failure was a hand-over, the attempts that count so far.</summary>
public readonly record struct RetryDecision(TimeSpan? Delay, bool IsHandOver, int CountedAttempts);

/// <summary>Counts retries inside an orchestration; replays count the same way, so the number is deterministic.</summary>
public sealed class AttemptCounter
{
    /// <summary>Retries that count as attempts.</summary>
    public int Retries { get; private set; }

    /// <summary>Retries after an activity handed over for want of budget (not attempts).</summary>
    public int HandOvers { get; private set; }

    public void Increment() => Retries++;

    public void HandedOver() => HandOvers++;
}
