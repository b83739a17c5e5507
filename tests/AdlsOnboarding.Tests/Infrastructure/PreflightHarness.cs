using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.BlobStorage;
using AdlsOnboarding.Simulator.Entra;
using AdlsOnboarding.Workflow.Hosting;
using AdlsOnboarding.Workflow.Preflight;
using AdlsOnboarding.Workflow.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>
/// The real pre-flight checker, wired by the workflow's own registration from configuration that points the
/// authority host and the blob endpoint template at the Entra + blob stand-in (https, loopback, trusted by
/// thumbprint). Sets up one tenant, one app with a key, and one account on which the app may read.
/// </summary>
public sealed class PreflightHarness : IAsyncDisposable
{
    public const string TenantId = "8c3f6d2a-1b4e-4f5a-9c7d-2e1f0a3b4c5d";
    public const string TenantDomain = "contoso.onmicrosoft.com";
    public const string ClientId = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    public const string Account = "contosolake";

    private PreflightHarness(RunningSimulator<EntraBlobStandIn> standIn, ServiceProvider services, CapturingLoggerProvider logs, FakeTimeProvider time)
    {
        StandIn = standIn;
        Services = services;
        Logs = logs;
        Time = time;
        Tenant = standIn.State.Entra.AddTenant(TenantId, TenantDomain);
        App = Tenant.AddApp(ClientId, "contoso-adobe-reader");
        App.AddSecret(Key);
        StorageAccount = standIn.State.Blobs.AddAccount(Account, TenantId).AddContainers("raw-landing-zone", "secret-project-x").GrantBlobDataReader(ClientId);
    }

    public RunningSimulator<EntraBlobStandIn> StandIn { get; }

    public EntraStandInState Entra => StandIn.State.Entra;

    public BlobStandInState Blobs => StandIn.State.Blobs;

    public ServiceProvider Services { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>The checker's clock (key ages are measured with it); starts at the real time.</summary>
    public FakeTimeProvider Time { get; }

    public StandInTenant Tenant { get; }

    public StandInApp App { get; }

    public StandInAccount StorageAccount { get; }

    /// <summary>The service principal's valid key.</summary>
    public string Key { get; } = "spk~" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    public IPreflightChecker Checker => Services.GetRequiredService<IPreflightChecker>();

    public static async Task<PreflightHarness> StartAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        RunningSimulator<EntraBlobStandIn> standIn = await SimulatorHost.StartEntraAndBlobAsync();
        // A hang outlasts any request timeout a test sets; the product's default timeout (30 s) stays in force
        // otherwise, so a loaded machine does not turn a slow answer into a timeout.
        standIn.State.Entra.HangDuration = TimeSpan.FromSeconds(60);
        standIn.State.Blobs.HangDuration = TimeSpan.FromSeconds(60);
        Dictionary<string, string?> settings = Settings(standIn);
        configure?.Invoke(settings);

        CapturingLoggerProvider logs = new();
        FakeTimeProvider time = new(DateTimeOffset.UtcNow);
        ServiceCollection services = new();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton<TimeProvider>(time);
        services.AddAdlsOnboardingWorkflow();
        return new PreflightHarness(standIn, services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }), logs, time);
    }

    /// <summary>The settings that point the pre-flight at a stand-in (the local host and the suites use the same keys).</summary>
    public static Dictionary<string, string?> Settings(RunningSimulator<EntraBlobStandIn> standIn) => new()
    {
        ["Onboarding:Preflight"] = "On",
        ["Preflight:AuthorityHost"] = standIn.BaseAddress.AbsoluteUri,
        ["Preflight:BlobEndpointTemplate"] = new Uri(standIn.BaseAddress, "{account}").OriginalString.Replace("%7B", "{", StringComparison.Ordinal).Replace("%7D", "}", StringComparison.Ordinal),
        ["Preflight:LoopbackCertificateThumbprint"] = standIn.Certificate!.Thumbprint,
    };

    public PreflightRequest Request(string? key = null, string tenant = TenantId, string clientId = ClientId, string account = Account, DateTimeOffset? keyCreatedOn = null) =>
        new(tenant, clientId, account, new SensitiveString(key ?? Key), keyCreatedOn);

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await StandIn.DisposeAsync();
    }
}
