using System.Net;
using Azure.Core;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace AdlsOnboarding.LocalHost.Durable;

/// <summary>
/// Serves the Azure Storage durable provider to the Durable Task SDK's gRPC client and worker, in this process, on a
/// loopback HTTP/2 port: <see cref="TaskHubGrpcServer"/> (the sidecar of the SDK's in-process test host, which
/// accepts any <see cref="IOrchestrationService"/>) over <see cref="AzureStorageOrchestrationService"/>. The workflow
/// code then runs on the same SDK types as in Azure Functions.
/// </summary>
public sealed class AzureStorageSidecar : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly GatedOrchestrationService _gate;

    private AzureStorageSidecar(WebApplication app, Uri address, AzureStorageOrchestrationService service, GatedOrchestrationService gate)
    {
        _app = app;
        _gate = gate;
        Address = address;
        Service = service;
    }

    public Uri Address { get; }

    public AzureStorageOrchestrationService Service { get; }

    public static async Task<AzureStorageSidecar> StartAsync(DurableStorageOptions options, TokenCredential? credential, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        AzureStorageOrchestrationService service = new(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = options.TaskHubName,
            StorageAccountClientProvider = !string.IsNullOrEmpty(options.StorageConnectionString)
                ? new StorageAccountClientProvider(options.StorageConnectionString)
                : new StorageAccountClientProvider(options.StorageAccountName!, credential!),
            PartitionCount = options.PartitionCount,
            LeaseInterval = options.LeaseInterval,
            LeaseRenewInterval = options.LeaseRenewInterval,
            LeaseAcquireInterval = options.LeaseAcquireInterval,
            WorkItemQueueVisibilityTimeout = options.WorkItemQueueVisibilityTimeout,
            ControlQueueVisibilityTimeout = options.ControlQueueVisibilityTimeout,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestrations,

            // A start refused by the dedupe statuses (an instance with the id is scheduled, running or suspended) must
            // fail, as on the Functions host, not return as if it had started: OnboardingStarter then reads the running
            // instance and answers join (same request) or 409. The provider's default returns silently, which would
            // answer 202 to a different request and drop it.
            ThrowExceptionOnInvalidDedupeStatus = true,
            LoggerFactory = loggerFactory,
        });
        await service.CreateIfNotExistsAsync().WaitAsync(cancellationToken);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.SidecarPort, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        // The dispatchers see the provider through the gate, which holds the concurrency limits without the dispatcher's
        // 500 ms polling at the limit (GatedOrchestrationService); the client side talks to the provider directly.
        GatedOrchestrationService gate = new(service, options.MaxConcurrentOrchestrations, options.MaxConcurrentActivities, loggerFactory.CreateLogger<GatedOrchestrationService>());
        builder.Services.AddSingleton<IOrchestrationService>(gate);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        WebApplication app = builder.Build();
        app.MapGrpcService<TaskHubGrpcServer>();
        await app.StartAsync(cancellationToken);

        Uri address = new(app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return new AzureStorageSidecar(app, address, service, gate);
    }

    public async ValueTask DisposeAsync()
    {
        // First hand back the activities fetched ahead: the sidecar's own stop does not wait for this (GatedOrchestrationService).
        await _gate.StopPrefetchAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
