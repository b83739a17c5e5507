using System.Net.Sockets;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>
/// Every harness wait: probe until a condition holds or a generous deadline passes, then fail with the host's log.
/// A probe that errs (no answer yet, a request timed out, a connection refused) is simply tried again: on a loaded
/// machine a single slow request says nothing, only the deadline does.
/// </summary>
public static class Eventually
{
    /// <summary>Long enough for a host start, a restart's lease take-over or a queued work item on a busy 2-core machine.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds for its result; returns that result.</summary>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> probe,
        Func<T, bool> done,
        Func<string> log,
        string what,
        TimeSpan? timeout = null,
        TimeSpan? interval = null)
    {
        DateTimeOffset deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultTimeout);
        T? last = default;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception ex) when (IsRetriable(ex))
            {
                lastError = ex;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new TimeoutException(
                    $"Gave up after {timeout ?? DefaultTimeout} waiting for {what}; last seen: {(lastError is null ? last : lastError.GetType().Name + ": " + lastError.Message)}\n--- host log ---\n{log()}",
                    lastError);
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    /// <summary>Polls until <paramref name="condition"/> is true.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, Func<string> log, string what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        UntilAsync(condition, holds => holds, log, what, timeout, interval);

    /// <summary>Polls until <paramref name="condition"/> is true.</summary>
    public static Task UntilAsync(Func<bool> condition, Func<string> log, string what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), holds => holds, log, what, timeout, interval);

    // A request that timed out surfaces as TaskCanceledException (HttpClient.Timeout) or TimeoutException.
    private static bool IsRetriable(Exception ex) =>
        ex is HttpRequestException or OperationCanceledException or TimeoutException or IOException or SocketException or Azure.RequestFailedException;
}
