using System.Diagnostics;
using Azure.Data.Tables;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Benchmark;

internal sealed record BareFigures(double WallSeconds, double PerSecond, double CpuSeconds, double AzuriteCpuSeconds, RequestCounts Requests, int QueueSweeps);

/// <summary>
/// The engine alone, at the onboarding's minimum shape: a native <see cref="TaskHubWorker"/> (DurableTask.Core, no
/// sidecar, no SDK) running N orchestrations of ONE no-op activity on the same Azurite (through the same counting
/// proxy), partitions, concurrency and polling as the local host, in this process. Completion is read from the
/// Instances table directly on Azurite (not counted), as the workflow's is read from the account table.
/// </summary>
internal static class BareEngineRun
{
    public static async Task<BareFigures> RunAsync(Settings settings, CountingProxy proxy)
    {
        proxy.AccountTable = null;
        string hub = "bare" + Guid.NewGuid().ToString("N")[..12];
        using ILoggerFactory logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        AzureStorageOrchestrationService service = new(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = hub,
            StorageAccountClientProvider = new StorageAccountClientProvider(proxy.ConnectionString),
            PartitionCount = settings.Partitions,
            MaxConcurrentTaskActivityWorkItems = settings.Activities,
            MaxConcurrentTaskOrchestrationWorkItems = settings.Orchestrations,
            MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500),

            // The local host's defaults (LocalHost/Durable/DurableStorageOptions).
            LeaseInterval = TimeSpan.FromSeconds(10),
            LeaseRenewInterval = TimeSpan.FromSeconds(3),
            LeaseAcquireInterval = TimeSpan.FromSeconds(3),
            WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(60),
            ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(20),
            LoggerFactory = logs,
        });
        await service.CreateIfNotExistsAsync();
        long runs0 = Interlocked.Read(ref NoOp.Runs);
        TaskHubWorker worker = new(service, logs);
        worker.AddTaskOrchestrations(typeof(BareOnboarding));
        worker.AddTaskActivities(typeof(NoOp));
        await worker.StartAsync();
        TaskHubClient client = new(service, loggerFactory: logs);
        await Task.Delay(Settings.Settle);
        TableClient instances = new(proxy.Upstream!.ConnectionString, hub + "Instances");

        // --warmup W: W orchestrations first, as the workflow's host gets W onboardings (this process's engine code compiled).
        if (settings.Warmup > 0)
        {
            Stopwatch warming = Stopwatch.StartNew();
            await CreateAllAsync(client, "warm", settings.Warmup);
            while ((await CompletedAsync(instances, "warm")).Count < settings.Warmup)
            {
                if (warming.Elapsed > TimeSpan.FromMinutes(10))
                {
                    throw new TimeoutException($"The warm-up's {settings.Warmup} orchestrations did not all complete in 10 minutes.");
                }

                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            Console.WriteLine($"  warm-up: {settings.Warmup} orchestrations completed in {warming.Elapsed.TotalSeconds:F1} s");
            await Task.Delay(Settings.Settle);
        }

        await proxy.Upstream!.WaitForSweepFreeWindowAsync();

        RequestCounts before = proxy.Snapshot();
        IReadOnlyDictionary<string, long> kindsBefore = proxy.Kinds();
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime, azuriteCpu0 = ProcessStats.Cpu(proxy.Upstream!.Id);
        DateTimeOffset t0 = DateTimeOffset.UtcNow;
        await CreateAllAsync(client, "run", settings.N);

        DateTimeOffset? last = null;
        Stopwatch waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMinutes(30))
        {
            // As the workflow's phase: scan the Instances table (in Azurite, which is measured) only once every activity ran.
            if (Interlocked.Read(ref NoOp.Runs) - runs0 < settings.Warmup + settings.N)
            {
                await Task.Delay(Settings.CompletionPoll);
                continue;
            }

            List<TableEntity> done = await CompletedAsync(instances, "run");

            if (done.Count >= settings.N)
            {
                last = done.Max(e => e.GetDateTimeOffset("CompletedTime") ?? e.GetDateTimeOffset("LastUpdatedTime") ?? DateTimeOffset.UtcNow);
                if (settings.Breakdown)
                {
                    Console.WriteLine("  bare engine " + ProcessStats.Timeline(done.Select(e => e.GetDateTimeOffset("CompletedTime") ?? e.GetDateTimeOffset("LastUpdatedTime") ?? t0), t0, TimeSpan.FromSeconds(2)));
                }

                break;
            }

            await Task.Delay(Settings.CompletionPoll);
        }

        if (last is null)
        {
            throw new TimeoutException($"The bare engine's {settings.N} orchestrations did not all complete within 30 minutes ({Interlocked.Read(ref NoOp.Runs) - runs0} activities ran).");
        }

        RequestCounts requests = proxy.Snapshot() - before;
        if (settings.Breakdown)
        {
            Console.WriteLine($"  requests of the measured run only, per onboarding (N = {settings.N}):");
            proxy.PrintKindsSince(kindsBefore, settings.N);
        }

        double seconds = (last.Value - t0).TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        double azuriteCpu = (ProcessStats.Cpu(proxy.Upstream.Id) - azuriteCpu0).TotalSeconds;
        await worker.StopAsync(isForced: true);
        return new BareFigures(seconds, settings.N / seconds, cpu, azuriteCpu, requests, proxy.Upstream.SweepsBetween(t0, last.Value));
    }

    /// <summary>Starts <paramref name="count"/> orchestrations with ids prefix-0…, 64 at a time (as the workflow's client posts).</summary>
    private static async Task CreateAllAsync(TaskHubClient client, string prefix, int count)
    {
        using SemaphoreSlim parallel = new(64);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await parallel.WaitAsync();
            try
            {
                await client.CreateOrchestrationInstanceAsync(typeof(BareOnboarding), $"{prefix}-{i}", i);
            }
            finally
            {
                parallel.Release();
            }
        }));
    }

    private static async Task<List<TableEntity>> CompletedAsync(TableClient instances, string prefix)
    {
        List<TableEntity> done = [];
        await foreach (TableEntity row in instances.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RuntimeStatus eq {"Completed"}"), select: ["PartitionKey", "CompletedTime", "LastUpdatedTime"]))
        {
            if (row.PartitionKey.StartsWith(prefix + "-", StringComparison.Ordinal))
            {
                done.Add(row);
            }
        }

        return done;
    }

    internal sealed class BareOnboarding : TaskOrchestration<int, int>
    {
        public override Task<int> RunTask(OrchestrationContext context, int input) => context.ScheduleTask<int>(typeof(NoOp), input);
    }

    internal sealed class NoOp : TaskActivity<int, int>
    {
        /// <summary>Executions in this process (every phase and round), so that the run's end is looked for in Azurite only when near.</summary>
        public static long Runs;

        protected override int Execute(TaskContext context, int input)
        {
            Interlocked.Increment(ref Runs);
            return input + 1;
        }
    }
}
