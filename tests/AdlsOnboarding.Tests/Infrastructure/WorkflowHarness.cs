using System.Net;
using System.Net.Sockets;
using AdlsOnboarding.Api;
using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Simulator.KeyVault;
using AdlsOnboarding.Workflow.Hosting;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Security.KeyVault.Secrets;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>
/// The real workflow (orchestrator, activities, clients) on the in-process Durable Task host, talking over
/// loopback HTTP to the Adobe simulator and, through the real <see cref="SecretClient"/>, to the Key Vault stand-in
/// over https, with account records in Azurite through the real <see cref="TableClient"/>. The pre-flight runs (it is
/// on by default) with the real <c>ClientSecretCredential</c> and <c>BlobServiceClient</c> against the Entra + blob
/// stand-in: the requests' tenant and app exist there, every key the vault stores is one of the app's client secrets
/// (unless <see cref="VaultKeysKnownToEntra"/> is false), and every account lets the app read.
/// </summary>
public sealed class WorkflowHarness : IAsyncDisposable
{
    public const string ImsSecretName = "adobe-ims-client-secret";

    /// <summary>The public base URL of the Functions app in these tests: status URLs start with it.</summary>
    public const string PublicBaseUrl = "https://func-app.example.test";
    public const string ServicePrincipalSecretName = "sp-key-contoso";
    public const string KeyVaultToken = "kv-static-test-token";

    /// <summary>The service principal every <see cref="Request"/> names, to which the harness's key is bound.</summary>
    public const string ClientId = "11111111-2222-3333-4444-555555555555";

    public const string Tenant = "contoso.onmicrosoft.com";

    /// <summary>The directory id of <see cref="Tenant"/> in the Entra stand-in (the accounts' tenant).</summary>
    public const string TenantId = "7a1c9e40-5b2d-4c8f-9e3a-0d6b2f4c8a11";

    /// <summary>The tags that bind a key version to the requests' service principal, as an operator sets them.</summary>
    public static Dictionary<string, string> BoundTags(params string[] accounts) => AdlsOnboarding.Workflow.Secrets.SecretBindingTags.For(ClientId, Tenant, accounts);

    private WorkflowHarness(RunningSimulator<SimulatorState> adobe, RunningSimulator<KeyVaultStubState> keyVault, RunningSimulator<EntraBlobStandIn> entraAndBlobs, DurableTaskTestHost host, CapturingLoggerProvider logs, string tableName)
    {
        Adobe = adobe;
        KeyVault = keyVault;
        EntraAndBlobs = entraAndBlobs;
        Host = host;
        Logs = logs;
        TableName = tableName;
    }

    public RunningSimulator<SimulatorState> Adobe { get; }

    public RunningSimulator<KeyVaultStubState> KeyVault { get; }

    /// <summary>Entra ID and the accounts' blob endpoints, as the pre-flight meets them.</summary>
    public RunningSimulator<EntraBlobStandIn> EntraAndBlobs { get; }

    /// <summary>The requests' app registration in the Entra stand-in.</summary>
    public AdlsOnboarding.Simulator.Entra.StandInApp App => EntraAndBlobs.State.Entra.FindTenant(TenantId)!.FindApp(ClientId)!;

    /// <summary>
    /// Whether a key stored in the vault from now on becomes a client secret of the app in Entra (true: an operator
    /// stores the secret Entra issued). False: the next keys are ones Entra does not know (a wrong value).
    /// </summary>
    public bool VaultKeysKnownToEntra { get; set; } = true;

    public DurableTaskTestHost Host { get; }

    public DurableTaskClient Client => Host.Client;

    public CapturingLoggerProvider Logs { get; }

    public string TableName { get; }

    public TableClient Table => Azurite.Table(TableName);

    public OnboardingApi Api => Host.Services.GetRequiredService<OnboardingApi>();

    public OnboardingRetrySettings RetrySettings => Host.Services.GetRequiredService<IOptions<OnboardingOptions>>().Value.ToRetrySettings();

    /// <summary>The service principal key currently in the vault (a fresh random value per harness).</summary>
    public string ServicePrincipalKey { get; private set; } = "";

    public string ServicePrincipalKeyVersion { get; private set; } = "";

    private DateTimeOffset _lastRotation = DateTimeOffset.UtcNow.AddMinutes(-1);

    public static async Task<WorkflowHarness> StartAsync(
        Action<Dictionary<string, string?>>? configure = null,
        Action<IServiceCollection>? configureServices = null)
    {
        await Azurite.EnsureRunningAsync();
        RunningSimulator<SimulatorState> adobe = await SimulatorHost.StartAdobeAsync();
        RunningSimulator<KeyVaultStubState> keyVault = await SimulatorHost.StartKeyVaultAsync();
        keyVault.State.AcceptedToken = KeyVaultToken;
        keyVault.State.SetSecret(ImsSecretName, adobe.State.Settings.ClientSecret);
        RunningSimulator<EntraBlobStandIn> entraAndBlobs = await StartEntraAndBlobsAsync();

        string tableName = Azurite.UniqueTableName("acct");
        Dictionary<string, string?> settings = BaseSettings(adobe.BaseAddress, keyVault.BaseAddress, tableName);
        foreach ((string key, string? value) in PreflightHarness.Settings(entraAndBlobs))
        {
            settings[key] = value;
        }

        configure?.Invoke(settings);
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        CapturingLoggerProvider logs = new();

        DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(
            tasks => tasks.AddOnboardingTasks(),
            new DurableTaskTestHostOptions
            {
                Port = FreePort(),
                ConfigureServices = services =>
                {
                    services.AddSingleton(configuration);
                    services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
                    services.AddSingleton<TokenCredential>(new StaticTokenCredential(KeyVaultToken));
                    services.AddSingleton<Action<SecretClientOptions>>(options => TrustStub(options, keyVault));
                    configureServices?.Invoke(services);
                    services.AddAdlsOnboardingWorkflow();
                    services.AddAdlsOnboardingApi();
                },
            });

        WorkflowHarness harness = new(adobe, keyVault, entraAndBlobs, host, logs, tableName);
        keyVault.State.SecretSet = (name, value) =>
        {
            if (name != ImsSecretName && harness.VaultKeysKnownToEntra)
            {
                harness.App.AddSecret(value);
            }
        };
        harness.RotateServicePrincipalKey();
        return harness;
    }

    /// <summary>
    /// The Entra + blob stand-in as the workflow suites need it: the requests' tenant (<see cref="TenantId"/>, domain
    /// <see cref="Tenant"/>) with their app (<see cref="ClientId"/>), and any account readable by that app.
    /// </summary>
    public static async Task<RunningSimulator<EntraBlobStandIn>> StartEntraAndBlobsAsync()
    {
        RunningSimulator<EntraBlobStandIn> standIn = await SimulatorHost.StartEntraAndBlobAsync();
        standIn.State.Entra.AddTenant(TenantId, Tenant).AddApp(ClientId, "adls-onboarding-tests");
        standIn.State.Blobs.ServeAnyAccount(TenantId, ClientId);
        return standIn;
    }

    /// <summary>Settings every workflow test starts from: loopback upstreams, short retries, its own table.</summary>
    public static Dictionary<string, string?> BaseSettings(Uri adobe, Uri keyVault, string tableName) => new()
    {
        ["Adobe:FlowServiceUrl"] = new Uri(adobe, AdobeSimulatorEndpoints.FlowServicePath).AbsoluteUri,
        ["Adobe:ImsTokenUrl"] = new Uri(adobe, AdobeSimulatorEndpoints.ImsTokenPath).AbsoluteUri,
        ["Adobe:ClientId"] = "sim-client-id",
        ["Adobe:OrgId"] = "0123456789ABCDEF01234567@AdobeOrg",
        ["Adobe:ClientSecretName"] = ImsSecretName,
        ["Adobe:AllowInsecureLoopback"] = "true",
        ["Adobe:RequestTimeout"] = "00:00:03",
        ["Secrets:KeyVaultUri"] = keyVault.AbsoluteUri,
        ["Secrets:KeyVaultMaxRetries"] = "0",
        ["Storage:ConnectionString"] = Azurite.ConnectionString,
        ["Storage:TableName"] = tableName,
        ["Onboarding:MaxAttempts"] = "5",
        ["Onboarding:FirstRetryInterval"] = "00:00:00.200",
        ["Onboarding:MaxRetryInterval"] = "00:00:01",
        ["Onboarding:MaxTotalRetryTime"] = "00:01:00",
        ["Api:StatusTokenKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["Api:PublicBaseUrl"] = PublicBaseUrl,

        // No test reaches Entra ID or a real account: a suite without the stand-in points the pre-flight at a closed
        // loopback port (it then fails as unreachable); the harnesses replace these with their stand-in's address.
        ["Onboarding:Preflight"] = "On",
        ["Preflight:AuthorityHost"] = "https://127.0.0.1:9/",
        ["Preflight:BlobEndpointTemplate"] = "https://127.0.0.1:9/{account}",
    };

    /// <summary>The real SecretClient, trusting only the stand-in's certificate, with its challenge host accepted.</summary>
    public static void TrustStub(SecretClientOptions options, RunningSimulator<KeyVaultStubState> keyVault)
    {
        string thumbprint = keyVault.Certificate!.Thumbprint;
        options.DisableChallengeResourceVerification = true;
        options.Transport = new HttpClientTransport(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == thumbprint,
        });
    }

    /// <summary>
    /// Puts a new random key version in the vault, as a rotation would, bound to the requests' service principal. Each
    /// one is dated a second after the one before, as an operator's rotations are (a same-second tie has its own test).
    /// </summary>
    public string RotateServicePrincipalKey(DateTimeOffset? expiresOn = null, bool enabled = true, IReadOnlyDictionary<string, string>? tags = null)
    {
        ServicePrincipalKey = "spk~" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        _lastRotation = DateTimeOffset.UtcNow > _lastRotation.AddSeconds(1) ? DateTimeOffset.UtcNow : _lastRotation.AddSeconds(1);
        ServicePrincipalKeyVersion = KeyVault.State.SetSecret(ServicePrincipalSecretName, ServicePrincipalKey, enabled, expiresOn, createdOn: _lastRotation, tags: tags ?? BoundTags());
        return ServicePrincipalKeyVersion;
    }

    public static OnboardingRequest Request(string account = "contosodata", string sandbox = "prod", string? secretName = ServicePrincipalSecretName, string? connectionName = null) => new(
        StorageAccountUrl: $"https://{account}.dfs.core.windows.net",
        ClientId: ClientId,
        Tenant: Tenant,
        SecretName: secretName,
        SecretVersion: null,
        Sandbox: sandbox,
        ConnectionName: connectionName,
        Description: null);

    public OnboardingInput Input(OnboardingRequest request)
    {
        Assert.True(Host.Services.GetRequiredService<OnboardingRequestValidator>().TryValidate(request, out ValidOnboardingRequest? valid, out Dictionary<string, string[]> errors), string.Join(", ", errors.Keys));
        return OnboardingInput.From(valid, RetrySettings);
    }

    /// <summary>Starts an onboarding straight on the durable client and waits for its end.</summary>
    public async Task<(OrchestrationMetadata Metadata, OnboardingOutcome Outcome)> OnboardAsync(OnboardingRequest request, TimeSpan? timeout = null)
    {
        OnboardingInput input = Input(request);
        string instanceId = OnboardingInstanceId.For(input.Sandbox, input.AccountName);
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestrationV2), input, new Microsoft.DurableTask.StartOrchestrationOptions(instanceId));
        OrchestrationMetadata metadata = await WaitAsync(instanceId, timeout);
        return (metadata, metadata.ReadOutputAs<OnboardingOutcome>()!);
    }

    public async Task<OrchestrationMetadata> WaitAsync(string instanceId, TimeSpan? timeout = null)
    {
        OrchestrationMetadata metadata;
        using (CancellationTokenSource cancel = new(timeout ?? Eventually.DefaultTimeout))
        {
            try
            {
                metadata = await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cancel.Token);
            }
            catch (OperationCanceledException ex) when (cancel.IsCancellationRequested)
            {
                OrchestrationMetadata? now = await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: false);
                throw new TimeoutException($"Gave up waiting for {instanceId} to end (now {now?.RuntimeStatus.ToString() ?? "unknown"}).\n--- host log ---\n{LogText()}", ex);
            }
        }

        Assert.True(metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{instanceId} ended {metadata.RuntimeStatus}: {metadata.FailureDetails}\n--- host log ---\n{LogText()}");
        return metadata;
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing with the host's log after a generous deadline.</summary>
    public Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(condition, LogText, what, timeout);

    /// <summary>The host's log so far, the most recent lines last (bounded, for failure messages).</summary>
    public string LogText()
    {
        IReadOnlyList<CapturedLog> entries = Logs.Entries;
        return string.Join("\n", entries.Skip(Math.Max(0, entries.Count - 300)));
    }

    public async Task<AccountRecord?> RecordAsync(string sandbox, string account)
    {
        Azure.NullableResponse<AccountRecord> response = await Table.GetEntityIfExistsAsync<AccountRecord>(sandbox, account);
        return response.HasValue ? response.Value : null;
    }

    public static int FreePort()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Adobe.DisposeAsync();
        await KeyVault.DisposeAsync();
        await EntraAndBlobs.DisposeAsync();
        try
        {
            await Table.DeleteAsync();
        }
        catch (Azure.RequestFailedException)
        {
        }
    }
}
