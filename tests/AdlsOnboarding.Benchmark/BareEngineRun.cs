using System.Diagnostics;
using AdlsOnboarding.LocalHost.Durable;
using Grpc.Net.Client;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Benchmark;

/// <summary>
/// The engine alone: a Durable Task orchestration of the onboarding's shape (four sequential activities that do
/// nothing) on the same Azure Storage backend, sidecar and settings, in this process. Our overhead is measured against it.
/// </summary>
internal static class BareEngineRun
{
    public static async Task<(double WallSeconds, double PerSecond, double CpuSeconds)> RunAsync(Settings settings)
    {
        DurableStorageOptions options = new()
        {
            TaskHubName = "bare" + Guid.NewGuid().ToString("N")[..12],
            StorageConnectionString = Settings.Azurite,
            PartitionCount = settings.Partitions,
            MaxConcurrentActivities = settings.Activities,
            MaxConcurrentOrchestrations = settings.Orchestrations,
            MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500),
        };
        using ILoggerFactory logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        await using AzureStorageSidecar sidecar = await AzureStorageSidecar.StartAsync(options, null, logs);
        using GrpcChannel channel = GrpcChannel.ForAddress(sidecar.Address);
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddDurableTaskWorker(worker =>
        {
            worker.UseGrpc(channel);
            worker.AddTasks(tasks =>
            {
                tasks.AddOrchestratorFunc<int, int>("BareOnboarding", async (context, input) =>
                {
                    for (int step = 0; step < 4; step++)
                    {
                        input = await context.CallActivityAsync<int>("NoOp", input);
                    }

                    return input;
                });
                tasks.AddActivityFunc<int, int>("NoOp", (_, value) => value + 1);
            });
        });
        builder.Services.AddDurableTaskClient(client => client.UseGrpc(channel));
        using IHost host = builder.Build();
        await host.StartAsync();
        DurableTaskClient client = host.Services.GetRequiredService<DurableTaskClient>();

        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        Stopwatch wall = Stopwatch.StartNew();
        string[] ids = await Task.WhenAll(Enumerable.Range(0, settings.N).Select(i => client.ScheduleNewOrchestrationInstanceAsync("BareOnboarding", i)));
        using CancellationTokenSource timeout = new(TimeSpan.FromMinutes(30));
        await Task.WhenAll(ids.Select(id => client.WaitForInstanceCompletionAsync(id, timeout.Token)));
        double seconds = wall.Elapsed.TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        await host.StopAsync();
        return (seconds, settings.N / seconds, cpu);
    }
}
