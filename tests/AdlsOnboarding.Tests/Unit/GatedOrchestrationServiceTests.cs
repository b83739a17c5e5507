using System.Collections.Concurrent;
using AdlsOnboarding.LocalHost.Durable;
using DurableTask.Core;
using DurableTask.Core.History;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// The local host's gate between the sidecar's dispatchers and the durable provider: the configured concurrency holds
/// exactly, a freed slot is used at once (no polling), activity work items are fetched several at a time, and what was
/// fetched but not started goes back to the queue on stop.
/// </summary>
public sealed class GatedOrchestrationServiceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public void Dispatchers_AreToldALimitTheyNeverReach()
    {
        GatedOrchestrationService gate = new(new FakeProvider(), orchestrationLimit: 3, activityLimit: 5);

        // The sidecar's dispatcher sleeps 500 ms whenever it is at its limit: it must never be.
        Assert.Equal(int.MaxValue, gate.MaxConcurrentTaskOrchestrationWorkItems);
        Assert.Equal(int.MaxValue, gate.MaxConcurrentTaskActivityWorkItems);
        Assert.Equal((3, 5), (gate.OrchestrationLimit, gate.ActivityLimit));
    }

    [Fact]
    public async Task Orchestrations_AtTheLimit_TheNextLockWaitsAndTakesTheFreedSlotAtOnce()
    {
        FakeProvider provider = new();
        GatedOrchestrationService gate = new(provider, orchestrationLimit: 2, activityLimit: 1);

        TaskOrchestrationWorkItem first = await gate.LockNextTaskOrchestrationWorkItemAsync(Timeout.InfiniteTimeSpan, CancellationToken.None);
        TaskOrchestrationWorkItem second = await gate.LockNextTaskOrchestrationWorkItemAsync(Timeout.InfiniteTimeSpan, CancellationToken.None);
        Task<TaskOrchestrationWorkItem> third = gate.LockNextTaskOrchestrationWorkItemAsync(Timeout.InfiniteTimeSpan, CancellationToken.None);

        // Two held: the third is not even asked of the provider.
        Assert.False(third.IsCompleted);
        Assert.Equal(2, provider.OrchestrationLocks);
        Assert.Equal(2, gate.OrchestrationsHeld);

        await gate.ReleaseTaskOrchestrationWorkItemAsync(first);
        TaskOrchestrationWorkItem next = await third.WaitAsync(Deadline);

        Assert.NotSame(first, next);
        Assert.Equal(3, provider.OrchestrationLocks);
        Assert.Equal(2, gate.OrchestrationsHeld);

        // Releasing the same work item twice frees one slot, not two.
        await gate.ReleaseTaskOrchestrationWorkItemAsync(second);
        await gate.ReleaseTaskOrchestrationWorkItemAsync(second);
        Assert.Equal(1, gate.OrchestrationsHeld);
    }

    [Fact]
    public async Task Orchestrations_AFailedFetch_DoesNotKeepTheSlot()
    {
        FakeProvider provider = new() { FailNextOrchestrationLock = true };
        GatedOrchestrationService gate = new(provider, orchestrationLimit: 1, activityLimit: 1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => gate.LockNextTaskOrchestrationWorkItemAsync(Timeout.InfiniteTimeSpan, CancellationToken.None));

        Assert.Equal(0, gate.OrchestrationsHeld);
        await gate.LockNextTaskOrchestrationWorkItemAsync(Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Deadline);
    }

    [Fact]
    public async Task Activities_AreFetchedSeveralAtOnce()
    {
        // The provider reads one queue message per request; one fetch at a time made queue latency the activity rate.
        FakeProvider provider = new() { HoldActivityFetches = true };
        GatedOrchestrationService gate = new(provider, orchestrationLimit: 1, activityLimit: 20);

        Task<TaskActivityWorkItem> taken = gate.LockNextTaskActivityWorkItem(Timeout.InfiniteTimeSpan, CancellationToken.None);

        await WaitUntilAsync(() => provider.ActivityFetchesWaiting == GatedOrchestrationService.ActivityFetchers);
        provider.ReleaseActivityFetches(1);
        TaskActivityWorkItem workItem = await taken.WaitAsync(Deadline);
        Assert.NotNull(workItem);
        await gate.StopAsync();
    }

    [Fact]
    public async Task Activities_NeverMoreLockedThanTheLimit_AndEveryOneIsDelivered()
    {
        FakeProvider provider = new();
        GatedOrchestrationService gate = new(provider, orchestrationLimit: 1, activityLimit: 3);
        List<TaskActivityWorkItem> running = [];
        HashSet<string> delivered = [];

        for (int i = 0; i < 12; i++)
        {
            running.Add(await gate.LockNextTaskActivityWorkItem(Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Deadline));
            if (running.Count == 3)
            {
                // Three running: the fetchers wait for a slot, whatever the queue holds.
                await Task.Delay(100);
                Assert.Equal(3, provider.ActivitiesLocked);
                TaskActivityWorkItem done = running[0];
                running.RemoveAt(0);
                Assert.True(delivered.Add(done.Id));
                if (i % 2 == 0)
                {
                    await gate.CompleteTaskActivityWorkItemAsync(done, new TaskMessage());
                }
                else
                {
                    await gate.AbandonTaskActivityWorkItemAsync(done);
                }
            }
        }

        foreach (TaskActivityWorkItem done in running)
        {
            Assert.True(delivered.Add(done.Id));
            await gate.CompleteTaskActivityWorkItemAsync(done, new TaskMessage());
        }

        Assert.True(provider.PeakActivitiesLocked <= 3, $"peak {provider.PeakActivitiesLocked} locked against a limit of 3");
        Assert.Equal(12, delivered.Count);

        // What the fetchers had locked ahead goes back on stop: nothing stays locked.
        await gate.StopAsync();
        Assert.Equal(0, provider.ActivitiesLocked);
    }

    [Fact]
    public async Task Activities_AtMostFourFetchedAheadOfTheDispatcher()
    {
        // The dispatcher stops taking work while its worker is disconnected: what was fetched for it waits, locked.
        FakeProvider provider = new();
        GatedOrchestrationService gate = new(provider, orchestrationLimit: 1, activityLimit: 20);

        await gate.LockNextTaskActivityWorkItem(Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Deadline);
        await WaitUntilAsync(() => provider.ActivitiesLocked == 1 + GatedOrchestrationService.ActivityFetchers);
        await Task.Delay(200);

        Assert.Equal(1 + GatedOrchestrationService.ActivityFetchers, provider.ActivitiesLocked);
        await gate.StopAsync();
    }

    [Fact]
    public async Task Stop_HandsBackWhatWasFetchedButNotStarted()
    {
        FakeProvider provider = new();
        GatedOrchestrationService gate = new(provider, orchestrationLimit: 1, activityLimit: 4);

        TaskActivityWorkItem started = await gate.LockNextTaskActivityWorkItem(Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Deadline);
        await WaitUntilAsync(() => provider.ActivitiesLocked == 4);

        await gate.StopAsync();

        // The three fetched ahead were abandoned (visible again at once), the running one is left to finish.
        Assert.Equal(3, provider.Abandoned.Count);
        Assert.DoesNotContain(started.Id, provider.Abandoned);
        Assert.Equal(1, provider.ActivitiesLocked);
        Assert.True(provider.Stopped);
    }

    [Fact]
    public async Task Activities_AFailedCompletion_KeepsTheSlotUntilTheAbandon()
    {
        // The message is still locked until the dispatcher abandons it: freeing the slot earlier would lock one too many.
        FakeProvider provider = new() { FailCompletions = true };
        GatedOrchestrationService gate = new(provider, orchestrationLimit: 1, activityLimit: 1);

        TaskActivityWorkItem first = await gate.LockNextTaskActivityWorkItem(Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Deadline);
        await Assert.ThrowsAsync<InvalidOperationException>(() => gate.CompleteTaskActivityWorkItemAsync(first, new TaskMessage()));
        await Task.Delay(200);
        Assert.Equal(1, provider.ActivitiesLocked);

        await gate.AbandonTaskActivityWorkItemAsync(first);
        TaskActivityWorkItem second = await gate.LockNextTaskActivityWorkItem(Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Deadline);

        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(1, provider.PeakActivitiesLocked);
        await gate.StopAsync();
    }

    [Fact]
    public async Task AfterStop_AFetchWaitsLikeAnEmptyQueue_AndAFailedHandBackDoesNotStopTheRest()
    {
        FakeProvider provider = new() { FailAbandons = true };
        GatedOrchestrationService gate = new(provider, orchestrationLimit: 1, activityLimit: 4);
        await gate.LockNextTaskActivityWorkItem(Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Deadline);
        await WaitUntilAsync(() => provider.ActivitiesLocked == 4);

        await gate.StopPrefetchAsync();
        await gate.StopAsync();

        // Every hand-back was tried though each failed, and the provider was stopped all the same.
        Assert.Equal(3, provider.Abandoned.Count);
        Assert.True(provider.Stopped);

        // The dispatcher may still ask: it gets nothing (no error to spin on) once its timeout passes.
        TaskActivityWorkItem? none = await gate.LockNextTaskActivityWorkItem(TimeSpan.FromMilliseconds(50), CancellationToken.None).WaitAsync(Deadline);
        Assert.Null(none);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using CancellationTokenSource deadline = new(Deadline);
        while (!condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    /// <summary>A provider with an endless queue of work items that counts what is locked.</summary>
    private sealed class FakeProvider : IOrchestrationService
    {
        private readonly SemaphoreSlim _activityGate = new(0);
        private int _orchestrationLocks;
        private int _activitiesLocked;
        private int _peakActivitiesLocked;
        private int _nextActivity;
        private int _fetchesWaiting;

        public bool FailNextOrchestrationLock { get; set; }

        public bool FailCompletions { get; init; }

        public bool FailAbandons { get; init; }

        public bool HoldActivityFetches { get; init; }

        public int OrchestrationLocks => Volatile.Read(ref _orchestrationLocks);

        public int ActivitiesLocked => Volatile.Read(ref _activitiesLocked);

        public int PeakActivitiesLocked => Volatile.Read(ref _peakActivitiesLocked);

        public int ActivityFetchesWaiting => Volatile.Read(ref _fetchesWaiting);

        public ConcurrentBag<string> Abandoned { get; } = [];

        public bool Stopped { get; private set; }

        public int TaskOrchestrationDispatcherCount => 1;

        public int MaxConcurrentTaskOrchestrationWorkItems => 1;

        public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => BehaviorOnContinueAsNew.Carryover;

        public int TaskActivityDispatcherCount => 1;

        public int MaxConcurrentTaskActivityWorkItems => 1;

        public void ReleaseActivityFetches(int count) => _activityGate.Release(count);

        public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken)
        {
            if (FailNextOrchestrationLock)
            {
                FailNextOrchestrationLock = false;
                throw new InvalidOperationException("fetch failed");
            }

            int n = Interlocked.Increment(ref _orchestrationLocks);
            return Task.FromResult(new TaskOrchestrationWorkItem { InstanceId = $"instance-{n}" });
        }

        public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => Task.CompletedTask;

        public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
        {
            if (HoldActivityFetches)
            {
                Interlocked.Increment(ref _fetchesWaiting);
                try
                {
                    await _activityGate.WaitAsync(cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref _fetchesWaiting);
                }
            }

            int locked = Interlocked.Increment(ref _activitiesLocked);
            int peak;
            while (locked > (peak = Volatile.Read(ref _peakActivitiesLocked)) && Interlocked.CompareExchange(ref _peakActivitiesLocked, locked, peak) != peak)
            {
            }

            int n = Interlocked.Increment(ref _nextActivity);
            return new TaskActivityWorkItem
            {
                Id = $"activity-{n}",
                TaskMessage = new TaskMessage { Event = new TaskScheduledEvent(n), OrchestrationInstance = new OrchestrationInstance { InstanceId = $"instance-{n}" } },
            };
        }

        public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
        {
            if (FailCompletions)
            {
                throw new InvalidOperationException("completion failed");
            }

            Interlocked.Decrement(ref _activitiesLocked);
            return Task.CompletedTask;
        }

        public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
        {
            Abandoned.Add(workItem.Id);
            if (FailAbandons)
            {
                throw new InvalidOperationException("abandon failed");
            }

            Interlocked.Decrement(ref _activitiesLocked);
            return Task.CompletedTask;
        }

        public Task StopAsync(bool isForced)
        {
            Stopped = true;
            return Task.CompletedTask;
        }

        public Task StopAsync() => StopAsync(false);

        public Task StartAsync() => Task.CompletedTask;

        public Task CreateAsync() => Task.CompletedTask;

        public Task CreateAsync(bool recreateInstanceStore) => Task.CompletedTask;

        public Task CreateIfNotExistsAsync() => Task.CompletedTask;

        public Task DeleteAsync() => Task.CompletedTask;

        public Task DeleteAsync(bool deleteInstanceStore) => Task.CompletedTask;

        public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) => false;

        public int GetDelayInSecondsAfterOnProcessException(Exception exception) => 0;

        public int GetDelayInSecondsAfterOnFetchException(Exception exception) => 0;

        public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => Task.CompletedTask;

        public Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState, IList<TaskMessage> outboundMessages, IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages, TaskMessage continuedAsNewMessage, OrchestrationState orchestrationState) => Task.CompletedTask;

        public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => Task.CompletedTask;

        public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => Task.FromResult(workItem);
    }
}
