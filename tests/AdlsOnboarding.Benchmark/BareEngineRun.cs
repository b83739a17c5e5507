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
        TaskHubWorker worker = new(service, logs);
        worker.AddTaskOrchestrations(typeof(BareOnboarding));
        worker.AddTaskActivities(typeof(NoOp));
        await worker.StartAsync();
        TaskHubClient client = new(service, loggerFactory: logs);
        await Task.Delay(Settings.Settle);
        await proxy.Upstream!.WaitForSweepFreeWindowAsync();

        RequestCounts before = proxy.Snapshot();
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime, azuriteCpu0 = ProcessStats.Cpu(proxy.Upstream!.Id);
        DateTimeOffset t0 = DateTimeOffset.UtcNow;
        using SemaphoreSlim parallel = new(64);
        await Task.WhenAll(Enumerable.Range(0, settings.N).Select(async i =>
        {
            await parallel.WaitAsync();
            try
            {
                await client.CreateOrchestrationInstanceAsync(typeof(BareOnboarding), i);
            }
            finally
            {
                parallel.Release();
            }
        }));

        TableClient instances = new(proxy.Upstream!.ConnectionString, hub + "Instances");
        DateTimeOffset last = t0;
        Stopwatch waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMinutes(30))
        {
            List<TableEntity> done = [];
            await foreach (TableEntity row in instances.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RuntimeStatus eq {"Completed"}"), select: ["PartitionKey", "CompletedTime", "LastUpdatedTime"]))
            {
                done.Add(row);
            }

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

        RequestCounts requests = proxy.Snapshot() - before;
        double seconds = (last - t0).TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        double azuriteCpu = (ProcessStats.Cpu(proxy.Upstream.Id) - azuriteCpu0).TotalSeconds;
        await worker.StopAsync(isForced: true);
        return new BareFigures(seconds, settings.N / seconds, cpu, azuriteCpu, requests, proxy.Upstream.SweepsBetween(t0, last));
    }

    internal sealed class BareOnboarding : TaskOrchestration<int, int>
    {
        public override Task<int> RunTask(OrchestrationContext context, int input) => context.ScheduleTask<int>(typeof(NoOp), input);
    }

    internal sealed class NoOp : TaskActivity<int, int>
    {
        protected override int Execute(TaskContext context, int input) => input + 1;
    }
}
