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

    public static AsyncRetryHandler Handler(OnboardingRetrySettings settings, AttemptCounter? counter = null) => async retry =>
    {
        (ClassifiedFailure failure, FailureSource source) = ClassifiedFailure.Read(retry.LastFailure);
        ILogger logger = retry.OrchestrationContext.CreateReplaySafeLogger(LogCategory);
        TimeSpan delay = DelayBefore(retry.LastAttemptNumber + 1, settings, failure.RetryAfter);
        if (!failure.IsTransient || retry.LastAttemptNumber >= settings.MaxAttempts || retry.TotalRetryTime + delay > settings.MaxTotalRetryTime)
        {
            Logs.ActivityNotRetried(logger, retry.OrchestrationContext.InstanceId, failure.Code, failure.IsTransient, retry.LastAttemptNumber, source);
            return false;
        }

        Logs.ActivityRetrying(logger, retry.OrchestrationContext.InstanceId, failure.Code, retry.LastAttemptNumber + 1, (long)delay.TotalMilliseconds, source);
        counter?.Increment();
        await retry.OrchestrationContext.CreateTimer(delay, retry.CancellationToken);
        return true;
    };

    /// <summary>The wait before attempt <paramref name="nextAttempt"/> (2 or more): backoff, at least Retry-After.</summary>
    public static TimeSpan DelayBefore(int nextAttempt, OnboardingRetrySettings settings, TimeSpan? retryAfter)
    {
        double factor = Math.Pow(settings.BackoffCoefficient, Math.Max(0, nextAttempt - 2));
        TimeSpan backoff = TimeSpan.FromMilliseconds(Math.Min(settings.FirstRetryInterval.TotalMilliseconds * factor, settings.MaxRetryInterval.TotalMilliseconds));
        return retryAfter is { } serverDelay && serverDelay > backoff ? serverDelay : backoff;
    }
}

/// <summary>Counts retries inside an orchestration; replays count the same way, so the number is deterministic.</summary>
public sealed class AttemptCounter
{
    public int Retries { get; private set; }

    public void Increment() => Retries++;
}
