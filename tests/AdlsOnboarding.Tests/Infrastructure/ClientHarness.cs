using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Workflow.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>The workflow's services (no durable host) wired to the Adobe simulator, with local secrets.</summary>
public sealed class ClientHarness : IAsyncDisposable
{
    private ClientHarness(RunningSimulator<SimulatorState> adobe, ServiceProvider services)
    {
        Adobe = adobe;
        Services = services;
    }

    public RunningSimulator<SimulatorState> Adobe { get; }

    public ServiceProvider Services { get; }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public static async Task<ClientHarness> StartAsync(Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection>? configureServices = null, SimulatorSettings? simulator = null)
    {
        RunningSimulator<SimulatorState> adobe = await SimulatorHost.StartAdobeAsync(simulator);
        Dictionary<string, string?> settings = WorkflowHarness.BaseSettings(adobe.BaseAddress, new Uri("https://127.0.0.1:9/"), "unused");
        settings.Remove("Secrets:KeyVaultUri");
        settings[$"Secrets:Local:{WorkflowHarness.ImsSecretName}"] = adobe.State.Settings.ClientSecret;
        configure?.Invoke(settings);

        ServiceCollection services = new();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        configureServices?.Invoke(services);
        services.AddAdlsOnboardingWorkflow();
        return new ClientHarness(adobe, services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Adobe.DisposeAsync();
    }
}
