using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Preflight;
using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Retention;
using AdlsOnboarding.Workflow.Rotation;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using AdlsOnboarding.Workflow.Telemetry;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Security.KeyVault.Secrets;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Hosting;

/// <summary>Wires the workflow into a host: the Azure Functions app, the local host and the tests call this.</summary>
public static class WorkflowServiceCollectionExtensions
{
    /// <summary>
    /// Registers the workflow's options (validated at start-up), clients and activities. An Azure
    /// <see cref="TokenCredential"/> registered before this call wins over the configured one (tests use a static one).
    /// </summary>
    public static IServiceCollection AddAdlsOnboardingWorkflow(this IServiceCollection services)
    {
        services.AddOptions<AdobeOptions>().BindConfiguration(AdobeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdobeOptions>, AdobeOptionsValidator>();
        services.AddOptions<SecretStoreOptions>().BindConfiguration(SecretStoreOptions.Section).ValidateDataAnnotations()
            .Validate(
                o => o.AppKeyVaultUri is null || o.KeyVaultUri is null || !AppSecrets.SameVault(o.AppKeyVaultUri, o.KeyVaultUri),
                "Secrets:AppKeyVaultUri must be another vault than Secrets:KeyVaultUri: the app's own secrets live apart from service principal keys.")
            .ValidateOnStart();
        services.AddOptions<AccountStoreOptions>().BindConfiguration(AccountStoreOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.TableServiceUri is not null || !string.IsNullOrEmpty(o.ConnectionString), "Storage:TableServiceUri (or, locally, Storage:ConnectionString) is required.")
            .ValidateOnStart();
#pragma warning disable CS0618 // the removed setting is read only to refuse it
        services.AddOptions<OnboardingOptions>().BindConfiguration(OnboardingOptions.Section).ValidateDataAnnotations()
            .Validate(
                o => o.AdoptExistingConnections != true,
                "Onboarding:AdoptExistingConnections=true was removed: the app no longer adopts a connection because of its name and URL. Name a connection to adopt in the request's adoptConnectionId (docs/ownership.md), and remove the setting.")
            .ValidateOnStart();
#pragma warning restore CS0618
        services.AddOptions<AzureCredentialOptions>().BindConfiguration(AzureCredentialOptions.Section);
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<HistoryRetention>();
        services.AddOptions<SweepOptions>().BindConfiguration(SweepOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PreflightOptions>().BindConfiguration(PreflightOptions.Section)
            .Configure<IConfiguration>((o, configuration) => o.ApplySwitch(configuration[PreflightOptions.SwitchKey]))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<PreflightOptions>, PreflightOptionsValidator>();

        // The app's own secrets, by their configured names: a request naming one is refused (see ReservedSecretNames).
        services.AddOptions<ReservedSecretNames>()
            .Configure<IOptions<AdobeOptions>>((reserved, adobe) => reserved.Add(adobe.Value.ClientSecretName));

        services.TryAddSingleton(TimeProvider.System);

        // Failures as data: the Durable Task worker (local host, tests) and the Functions worker's durable extension both
        // take the IExceptionPropertiesProvider from the container and attach its properties to each activity failure.
        services.TryAddSingleton<IExceptionPropertiesProvider, FailurePropertiesProvider>();
        services.AddMetrics();
        services.TryAddSingleton<WorkflowMetrics>();
        services.TryAddSingleton<TokenCredential>(sp => sp.GetRequiredService<IOptions<AzureCredentialOptions>>().Value.Create());

        // Secrets: Key Vault when a vault is configured, local configuration otherwise. The app's own secrets live in
        // a vault of their own when one is configured, and only there.
        services.TryAddSingleton(sp => CreateSecretClient(sp, sp.GetRequiredService<IOptions<SecretStoreOptions>>().Value.KeyVaultUri!));
        services.TryAddKeyedSingleton(AppSecrets.Key, (sp, _) => CreateSecretClient(sp,
            sp.GetRequiredService<IOptions<SecretStoreOptions>>().Value.AppKeyVaultUri
            ?? throw new InvalidOperationException("Secrets:AppKeyVaultUri is not set.")));
        services.TryAddSingleton<ISecretStore>(sp =>
            sp.GetRequiredService<IOptions<SecretStoreOptions>>().Value.KeyVaultUri is null
                ? ActivatorUtilities.CreateInstance<LocalSecretStore>(sp)
                : ActivatorUtilities.CreateInstance<KeyVaultSecretStore>(sp));
        services.TryAddKeyedSingleton<ISecretStore>(AppSecrets.Key, (sp, _) =>
            sp.GetRequiredService<IOptions<SecretStoreOptions>>().Value.AppKeyVaultUri is null
                ? sp.GetRequiredService<ISecretStore>()
                : new KeyVaultSecretStore(sp.GetRequiredKeyedService<SecretClient>(AppSecrets.Key), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ServicePrincipalKeys>();

        // Account records: identity-based in Azure, a connection string for Azurite.
        services.TryAddSingleton(sp =>
        {
            AccountStoreOptions options = sp.GetRequiredService<IOptions<AccountStoreOptions>>().Value;
            TableClientOptions clientOptions = new() { Retry = { MaxRetries = 2, Delay = TimeSpan.FromMilliseconds(200) } };
            sp.GetService<Action<TableClientOptions>>()?.Invoke(clientOptions);
            return string.IsNullOrEmpty(options.ConnectionString)
                ? new TableClient(options.TableServiceUri!, options.TableName, sp.GetRequiredService<TokenCredential>(), clientOptions)
                : new TableClient(options.ConnectionString, options.TableName, clientOptions);
        });
        services.TryAddSingleton<AccountRecordStore>();

        // Adobe: no retry handler anywhere, since retries are durable (see DurableRetry); timeouts are per request.
        services.AddHttpClient(ImsTokenProvider.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton<AdobeTrafficGate>();
        services.TryAddSingleton<ImsTokenProvider>();
        AddFlowServiceClient(services);
        services.TryAddSingleton<ConnectionOwnership>();
        services.TryAddSingleton<ConnectionReconciler>();
        services.TryAddSingleton<IPreflightChecker, PreflightChecker>();

        services.TryAddTransient<OnboardAccountActivity>();
        services.TryAddTransient<ResolveSecretVersionActivity>();
        services.TryAddTransient<CreateConnectionActivity>();
        services.TryAddTransient<SaveAccountRecordActivity>();
        services.TryAddTransient<HoldRotationActivity>();
        services.TryAddTransient<DeleteConnectionActivity>();
        services.TryAddSingleton<Rotation.SecretEventHandler>();

        services.TryAddSingleton<OnboardingRequestValidator>();
        services.TryAddSingleton<OnboardingStarter>();
        services.TryAddSingleton<AccountRegistry>();
        services.TryAddSingleton<RegistrySweeper>();
        return services;
    }

    /// <summary>
    /// The Flow Service client, typed, over its pipeline: Adobe's headers and one token renewal (outermost), the traffic
    /// gate, the per-request timeout with the call's log and metric, and the key's redaction from error bodies. The
    /// gate and the token cache are singletons; the client holds nothing else, so singletons (the reconciler) keep the
    /// instance they were given. Its handlers therefore live as long as the app (an infinite handler lifetime), and the
    /// connections below them are renewed every few minutes instead, so DNS changes are still seen.
    /// </summary>
    private static void AddFlowServiceClient(IServiceCollection services)
    {
        services.TryAddTransient<AdobeHeadersHandler>();
        services.TryAddTransient<AdobeTrafficGateHandler>();
        services.TryAddTransient<FlowServiceCallHandler>();
        services.TryAddTransient<SecretRedactionHandler>();
        services.AddHttpClient<FlowServiceClient>(FlowServiceClient.HttpClientName, (sp, http) =>
            {
                http.BaseAddress = FlowServiceClient.BaseAddress(sp.GetRequiredService<IOptions<AdobeOptions>>().Value);
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .AddHttpMessageHandler<AdobeHeadersHandler>()
            .AddHttpMessageHandler<AdobeTrafficGateHandler>()
            .AddHttpMessageHandler<FlowServiceCallHandler>()
            .AddHttpMessageHandler<SecretRedactionHandler>();
    }

    /// <summary>A vault client with the app's credential; a stand-in on loopback is trusted by its certificate only.</summary>
    private static SecretClient CreateSecretClient(IServiceProvider sp, Uri vault)
    {
        SecretStoreOptions options = sp.GetRequiredService<IOptions<SecretStoreOptions>>().Value;
        SecretClientOptions clientOptions = new() { Retry = { MaxRetries = options.KeyVaultMaxRetries, Delay = TimeSpan.FromMilliseconds(500) } };
        TokenCredential credential = sp.GetRequiredService<TokenCredential>();
        if (credential is LoopbackStaticTokenCredential && !vault.IsLoopback)
        {
            throw new InvalidOperationException("Azure:Credential=LoopbackStaticToken is only for a Key Vault stand-in on loopback.");
        }

        if (vault.IsLoopback && !string.IsNullOrEmpty(options.LoopbackCertificateThumbprint))
        {
            string thumbprint = options.LoopbackCertificateThumbprint;
            clientOptions.DisableChallengeResourceVerification = true;
            clientOptions.Transport = new HttpClientTransport(new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, certificate, _, _) => string.Equals(certificate?.Thumbprint, thumbprint, StringComparison.OrdinalIgnoreCase),
            });
        }

        sp.GetService<Action<SecretClientOptions>>()?.Invoke(clientOptions);
        return new SecretClient(vault, credential, clientOptions);
    }

    /// <summary>Registers the orchestrators and activities with a Durable Task worker (local host, tests).</summary>
    public static DurableTaskRegistry AddOnboardingTasks(this DurableTaskRegistry registry)
    {
        registry.AddOrchestrator<OnboardingOrchestrationV2>();
        registry.AddActivity(nameof(OnboardAccountActivity), sp => new DurableActivityAdapter<OnboardAccountInput, OnboardAccountResult>(sp.GetRequiredService<OnboardAccountActivity>()));

        // The four-step shape: instances started on it (before the upgrade) finish on it.
        registry.AddOrchestrator<OnboardingOrchestration>();
        registry.AddActivity(nameof(ResolveSecretVersionActivity), sp => new DurableActivityAdapter<ResolveSecretVersionInput, SecretVersionInfo>(sp.GetRequiredService<ResolveSecretVersionActivity>()));
        registry.AddActivity(nameof(CreateConnectionActivity), sp => new DurableActivityAdapter<CreateConnectionInput, ConnectionResult>(sp.GetRequiredService<CreateConnectionActivity>()));
        registry.AddActivity(nameof(SaveAccountRecordActivity), sp => new DurableActivityAdapter<AccountRecordChange, bool>(sp.GetRequiredService<SaveAccountRecordActivity>()));
        registry.AddActivity(nameof(HoldRotationActivity), sp => new DurableActivityAdapter<HoldRotationInput, HeldRotation?>(sp.GetRequiredService<HoldRotationActivity>()));
        registry.AddOrchestrator<OffboardingOrchestration>();
        registry.AddActivity(nameof(DeleteConnectionActivity), sp => new DurableActivityAdapter<DeleteConnectionInput, DeletionResult>(sp.GetRequiredService<DeleteConnectionActivity>()));
        return registry;
    }
}
