using System.Collections.Concurrent;
using System.Threading.Channels;
using DurableTask.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdlsOnboarding.LocalHost.Durable;

/// <summary>
/// The durable provider as the sidecar's dispatchers see it, with the concurrency limits enforced here rather than by
/// the dispatchers. The sidecar's work-item dispatcher (<c>Microsoft.DurableTask.InProcessTestHost</c>) checks its limit
/// by polling: once <c>MaxConcurrent…WorkItems</c> items run, it sleeps 500 ms before it looks again, so a slot freed
/// just after a look stays empty for up to half a second. At 20 slots and episodes or activities of a few hundred
/// milliseconds that made the limit a rate cap (about 20 work items per 0.6 s), and work waited in the queues
/// (docs/performance.md, "Where the time went"). DurableTask.Core's own dispatcher, which Azure Functions uses, waits on
/// a semaphore instead and refills a slot at once; this gate gives the sidecar the same behaviour with the same limits:
/// at most <see cref="OrchestrationLimit"/> orchestration and <see cref="ActivityLimit"/> activity work items are locked at
/// once, and a fetch waits for a slot before it asks the provider for a work item. The dispatchers are told a limit they
/// never reach (<see cref="int.MaxValue"/>), so they never sleep.
/// </summary>
public sealed partial class GatedOrchestrationService : IOrchestrationService
{
    private readonly IOrchestrationService _inner;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _orchestrations;
    private readonly SemaphoreSlim _activities;
    private readonly ConcurrentDictionary<object, byte> _held = new(ReferenceEqualityComparer.Instance);
    private readonly Channel<TaskActivityWorkItem> _fetched = Channel.CreateUnbounded<TaskActivityWorkItem>();
    private readonly SemaphoreSlim _ahead = new(ActivityFetchers, ActivityFetchers);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _fetchersLock = new();
    private Task[]? _fetchers;

    public GatedOrchestrationService(IOrchestrationService inner, int orchestrationLimit, int activityLimit, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(orchestrationLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(activityLimit, 1);
        _inner = inner;
        _logger = logger ?? NullLogger.Instance;
        OrchestrationLimit = orchestrationLimit;
        ActivityLimit = activityLimit;
        _orchestrations = new SemaphoreSlim(orchestrationLimit, orchestrationLimit);
        _activities = new SemaphoreSlim(activityLimit, activityLimit);
    }

    public int OrchestrationLimit { get; }

    public int ActivityLimit { get; }

    /// <summary>Orchestration work items locked now (for tests and diagnostics).</summary>
    public int OrchestrationsHeld => OrchestrationLimit - _orchestrations.CurrentCount;

    /// <summary>Never reached: the gate, not the dispatcher, holds the limit (see the class remarks).</summary>
    public int MaxConcurrentTaskOrchestrationWorkItems => int.MaxValue;

    /// <summary>Never reached: the gate, not the dispatcher, holds the limit (see the class remarks).</summary>
    public int MaxConcurrentTaskActivityWorkItems => int.MaxValue;

    public int TaskOrchestrationDispatcherCount => _inner.TaskOrchestrationDispatcherCount;

    public int TaskActivityDispatcherCount => _inner.TaskActivityDispatcherCount;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => _inner.EventBehaviourForContinueAsNew;

    public async Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        await LockAsync(_orchestrations, () => _inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken), cancellationToken).ConfigureAwait(false);

    public async Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        try
        {
            await _inner.ReleaseTaskOrchestrationWorkItemAsync(workItem).ConfigureAwait(false);
        }
        finally
        {
            // The dispatcher releases every work item it locked, whatever happened to it.
            Free(_orchestrations, workItem);
        }
    }

    /// <summary>How many activity fetches run at once (each a queue read; see <see cref="LockNextTaskActivityWorkItem"/>).</summary>
    public const int ActivityFetchers = 4;

    /// <summary>
    /// The next activity work item, fetched by <see cref="ActivityFetchers"/> loops at once. The sidecar's dispatcher
    /// fetches one work item at a time, and the provider reads the work-item queue one message per request, so under a
    /// loaded store activities started no faster than one per queue round trip (about 5 a second on Azurite, with 20
    /// slots free). Each loop takes a slot before it reads, so no more than <see cref="ActivityLimit"/> activity work
    /// items are ever locked, fetched or running, and no more than <see cref="ActivityFetchers"/> are fetched ahead of
    /// the dispatcher (fetching or waiting to be taken): if the dispatcher stops taking work (its worker disconnected),
    /// at most that many work items wait, locked, for it to come back.
    /// </summary>
    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        EnsureFetchers();
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (receiveTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(receiveTimeout);
        }

        try
        {
            TaskActivityWorkItem workItem = await _fetched.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            _ahead.Release();
            return workItem;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null!;
        }
        catch (ChannelClosedException)
        {
            // Stopped: nothing more will come. Wait as on an empty queue, so the dispatcher does not spin on errors.
            await Task.Delay(receiveTimeout, cancellationToken).ConfigureAwait(false);
            return null!;
        }
    }

    public async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        await _inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage).ConfigureAwait(false);

        // Only once completed: when the completion fails the dispatcher abandons the work item, which frees the slot, and
        // until then the message is still locked (freeing it earlier would let one more be locked than the limit).
        Free(_activities, workItem);
    }

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        try
        {
            await _inner.AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
        }
        finally
        {
            Free(_activities, workItem);
        }
    }

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => _inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => _inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState) =>
        _inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => _inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) => _inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => _inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => _inner.GetDelayInSecondsAfterOnFetchException(exception);

    public Task StartAsync() => _inner.StartAsync();

    public Task StopAsync() => StopAsync(isForced: false);

    public async Task StopAsync(bool isForced)
    {
        try
        {
            await StopPrefetchAsync().ConfigureAwait(false);
        }
        finally
        {
            await _inner.StopAsync(isForced).ConfigureAwait(false);
        }
    }

    public Task CreateAsync() => _inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => _inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => _inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => _inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => _inner.DeleteAsync(deleteInstanceStore);

    private void EnsureFetchers()
    {
        lock (_fetchersLock)
        {
            if (_fetchers is null && !_stopping.IsCancellationRequested)
            {
                _fetchers = [.. Enumerable.Range(0, Math.Min(ActivityFetchers, ActivityLimit)).Select(_ => Task.Run(() => FetchActivitiesAsync(_stopping.Token)))];
            }
        }
    }

    private async Task FetchActivitiesAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await _ahead.WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // The place ahead is given back when the dispatcher takes the work item, or here when there is none.
            bool queued = false;
            try
            {
                TaskActivityWorkItem workItem = await LockAsync(_activities, () => _inner.LockNextTaskActivityWorkItem(Timeout.InfiniteTimeSpan, stopping), stopping).ConfigureAwait(false);
                if (workItem is not null)
                {
                    queued = _fetched.Writer.TryWrite(workItem);
                    if (!queued)
                    {
                        await AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Wait as long as the provider asks (at least a second), then fetch again.
                int delaySeconds = Math.Max(1, _inner.GetDelayInSecondsAfterOnFetchException(ex));
                FetchFailed(_logger, ex, delaySeconds);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(delaySeconds), stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            finally
            {
                if (!queued)
                {
                    _ahead.Release();
                }
            }
        }
    }

    /// <summary>
    /// Stops fetching activities and abandons what was fetched but not taken, so it is visible again within seconds (the
    /// provider's back-off), not after the visibility timeout. Idempotent. The sidecar calls it before it stops: its own
    /// stop reaches <see cref="StopAsync(bool)"/> only after every running work item has ended, and the worker has gone
    /// by then, so without this the loops would go on locking work for nobody.
    /// </summary>
    public async Task StopPrefetchAsync()
    {
        Task[]? fetchers;
        lock (_fetchersLock)
        {
            _stopping.Cancel();
            fetchers = _fetchers;
        }

        if (fetchers is not null)
        {
            await Task.WhenAll(fetchers).ConfigureAwait(false);
        }

        _fetched.Writer.TryComplete();
        while (_fetched.Reader.TryRead(out TaskActivityWorkItem? workItem))
        {
            try
            {
                await AbandonTaskActivityWorkItemAsync(workItem).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // It stays locked until the visibility timeout, then runs as any other redelivered activity.
                AbandonFailed(_logger, ex, workItem.Id);
            }
        }
    }

    [LoggerMessage(EventId = 5200, Level = LogLevel.Warning, Message = "Activity work item {WorkItemId}, fetched but not started at stop, could not be handed back; it runs after the work-item visibility timeout")]
    private static partial void AbandonFailed(ILogger logger, Exception exception, string workItemId);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Fetching an activity work item failed; fetching again in {DelaySeconds} s")]
    private static partial void FetchFailed(ILogger logger, Exception exception, int delaySeconds);

    private async Task<T> LockAsync<T>(SemaphoreSlim slots, Func<Task<T>> fetch, CancellationToken cancellationToken)
        where T : class
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        T? workItem = null;
        try
        {
            workItem = await fetch().ConfigureAwait(false);
            return workItem;
        }
        finally
        {
            // No work item (timeout, cancellation, a failed fetch): the slot was never used.
            if (workItem is null || !_held.TryAdd(workItem, 0))
            {
                slots.Release();
            }
        }
    }

    private void Free(SemaphoreSlim slots, object workItem)
    {
        if (_held.TryRemove(workItem, out _))
        {
            slots.Release();
        }
    }
}
