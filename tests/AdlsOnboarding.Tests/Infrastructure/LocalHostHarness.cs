using AdlsOnboarding.Api;
using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Simulator.KeyVault;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>
/// The local host as its own process on the Azure Storage durable provider over Azurite (its own task hub and
/// table), and the Adobe simulator in the test process, so that killing the host leaves Adobe's side intact.
/// </summary>
public sealed class LocalHostHarness : IAsyncDisposable
{
    public const string ServicePrincipalKey = "local-host-sp-key~3f9a";

    private LocalHostHarness(RunningSimulator<SimulatorState> adobe, RunningSimulator<EntraBlobStandIn> entraAndBlobs, LocalHostProcess host, string tableName, string taskHub, string statusKey, RunningSimulator<KeyVaultStubState>? keyVault, FaultInjectingProxy? tableProxy)
    {
        EntraAndBlobs = entraAndBlobs;
        KeyVault = keyVault;
        TableProxy = tableProxy;
        Adobe = adobe;
        Host = host;
        TableName = tableName;
        TaskHub = taskHub;
        StatusTokens = new StatusTokenService(Options.Create(new ApiOptions { StatusTokenKey = statusKey }), TimeProvider.System);
        // As generous as the waits around it: a slow answer on a loaded machine is not a failure.
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Eventually.DefaultTimeout };
    }

    public RunningSimulator<SimulatorState> Adobe { get; }

    /// <summary>Entra ID and the accounts' blob endpoints for the host's pre-flight (the key is the app's client secret).</summary>
    public RunningSimulator<EntraBlobStandIn> EntraAndBlobs { get; }

    /// <summary>The Key Vault stand-in the host reads its secrets from, when started with one.</summary>
    public RunningSimulator<KeyVaultStubState>? KeyVault { get; }

    /// <summary>The fault-injecting proxy between the host and Azurite's Table endpoint, when started with one.</summary>
    public FaultInjectingProxy? TableProxy { get; }

    /// <summary>Every secret value the host was given (keys, IMS client secret, Key Vault token): none may leak.</summary>
    public List<string> Secrets { get; } = [];

    public LocalHostProcess Host { get; }

    public HttpClient Http { get; }

    public string TableName { get; }

    public string TaskHub { get; }

    /// <summary>Signs status URLs with the host's key (the tests know it), e.g. for ids no 202 handed out.</summary>
    public StatusTokenService StatusTokens { get; }

    public TableClient Table => Azurite.Table(TableName);

    public static async Task<LocalHostHarness> StartAsync(Action<Dictionary<string, string?>>? configure = null, bool keyVaultStub = false, bool tableFaultProxy = false)
    {
        RunningSimulator<SimulatorState> adobe = await SimulatorHost.StartAdobeAsync(new SimulatorSettings { HangDuration = TimeSpan.FromSeconds(6) });
        RunningSimulator<KeyVaultStubState>? keyVault = keyVaultStub ? await SimulatorHost.StartKeyVaultAsync() : null;
        RunningSimulator<EntraBlobStandIn> entraAndBlobs = await WorkflowHarness.StartEntraAndBlobsAsync();
        entraAndBlobs.State.Entra.FindTenant(WorkflowHarness.TenantId)!.FindApp(WorkflowHarness.ClientId)!.AddSecret(ServicePrincipalKey);
        FaultInjectingProxy? proxy = tableFaultProxy ? await FaultInjectingProxy.StartAsync(new Uri(new Azure.Data.Tables.TableServiceClient(Azurite.ConnectionString).Uri.GetLeftPart(UriPartial.Authority))) : null;
        string tableName = Azurite.UniqueTableName("lh");
        string taskHub = "t" + Guid.NewGuid().ToString("N")[..20];
        Dictionary<string, string?> settings = WorkflowHarness.BaseSettings(adobe.BaseAddress, new Uri("https://127.0.0.1:9/"), tableName);
        settings.Remove("Secrets:KeyVaultUri");
        settings.Remove("Api:PublicBaseUrl"); // the local host's default: its own listening URL
        foreach ((string key, string? value) in PreflightHarness.Settings(entraAndBlobs))
        {
            settings[key] = value;
        }
        settings[$"Secrets:Local:{WorkflowHarness.ImsSecretName}"] = adobe.State.Settings.ClientSecret;
        settings[$"Secrets:Local:{WorkflowHarness.ServicePrincipalSecretName}"] = ServicePrincipalKey;
        foreach ((string tag, string value) in WorkflowHarness.BoundTags())
        {
            settings[$"Secrets:LocalTags:{WorkflowHarness.ServicePrincipalSecretName}:{tag}"] = value;
        }

        settings["Durable:TaskHubName"] = taskHub;
        settings["Durable:StorageConnectionString"] = Azurite.ConnectionString;
        settings["Durable:LeaseInterval"] = "00:00:05";
        settings["Durable:LeaseRenewInterval"] = "00:00:02";
        settings["Durable:LeaseAcquireInterval"] = "00:00:02";
        // The sidecar does not renew activity locks: the budget stays inside half the visibility timeout.
        settings["Durable:WorkItemQueueVisibilityTimeout"] = "00:00:20";
        settings["Onboarding:ActivityBudget"] = "00:00:10";
        settings["Durable:ControlQueueVisibilityTimeout"] = "00:00:05";
        settings["Onboarding:CreateLease"] = "00:00:05";
        settings["Onboarding:MaxAttempts"] = "8";
        List<string> secrets = [adobe.State.Settings.ClientSecret, ServicePrincipalKey];
        if (keyVault is not null)
        {
            string token = "kv-token-" + Guid.NewGuid().ToString("N");
            keyVault.State.AcceptedToken = token;
            keyVault.State.SetSecret(WorkflowHarness.ImsSecretName, adobe.State.Settings.ClientSecret);
            keyVault.State.SetSecret(WorkflowHarness.ServicePrincipalSecretName, ServicePrincipalKey, tags: WorkflowHarness.BoundTags());
            settings.Remove($"Secrets:Local:{WorkflowHarness.ImsSecretName}");
            settings.Remove($"Secrets:Local:{WorkflowHarness.ServicePrincipalSecretName}");
            settings["Secrets:KeyVaultUri"] = keyVault.BaseAddress.AbsoluteUri;
            settings["Secrets:LoopbackCertificateThumbprint"] = keyVault.Certificate!.Thumbprint;
            settings["Azure:Credential"] = "LoopbackStaticToken";
            settings["Azure:StaticToken"] = token;
            secrets.Add(token);
        }

        if (proxy is not null)
        {
            settings["Storage:ConnectionString"] = proxy.ConnectionString(Azurite.ConnectionString);
        }

        configure?.Invoke(settings);
        LocalHostProcess host;
        try
        {
            host = await LocalHostProcess.StartAsync(settings);
        }
        catch
        {
            await adobe.DisposeAsync();
            await entraAndBlobs.DisposeAsync();
            if (keyVault is not null)
            {
                await keyVault.DisposeAsync();
            }

            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }

            throw;
        }

        LocalHostHarness harness = new(adobe, entraAndBlobs, host, tableName, taskHub, settings["Api:StatusTokenKey"]!, keyVault, proxy);
        harness.Secrets.AddRange(secrets);
        return harness;
    }

    public static string Body(string account, string clientId = "11111111-2222-3333-4444-555555555555", string? description = null) => System.Text.Json.JsonSerializer.Serialize(new
    {
        storageAccountUrl = $"https://{account}.dfs.core.windows.net",
        clientId,
        tenant = "contoso.onmicrosoft.com",
        secretName = WorkflowHarness.ServicePrincipalSecretName,
        sandbox = "prod",
        description,
    });

    public async Task<ApiResponse> PostAsync(string body, string contentType = "application/json")
    {
        using StringContent content = new(body, System.Text.Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        return await ToApiResponseAsync(await Http.PostAsync("/api/onboardings", content));
    }

    public async Task<ApiResponse> GetAsync(string url) => await ToApiResponseAsync(await Http.GetAsync(url));

    public string StatusUrl(string instanceId) =>
        $"{Host.BaseAddress}api/onboardings/{instanceId}?token={Uri.EscapeDataString(StatusTokens.Issue(instanceId))}";

    /// <summary>Polls a status URL (following each fresh Location) until the onboarding is no longer running.</summary>
    public async Task<ApiResponse> PollUntilDoneAsync(string statusUrl, TimeSpan? timeout = null)
    {
        string url = statusUrl;
        return await Eventually.UntilAsync(
            async () =>
            {
                ApiResponse response = await GetAsync(url);
                url = response.Status == 202 ? response.Header("Location")! : url;
                return response;
            },
            response => response.Status != 202,
            () => Host.Output,
            $"{statusUrl} to finish",
            timeout ?? TimeSpan.FromSeconds(120),
            TimeSpan.FromMilliseconds(300));
    }

    /// <summary>Starts onboardings of <paramref name="count"/> accounts named prefix0000…, at most 32 requests at a time.</summary>
    public async Task<ApiResponse[]> PostManyAsync(string prefix, int count)
    {
        using SemaphoreSlim posting = new(32);
        return await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await posting.WaitAsync();
            try
            {
                return await PostAsync(Body($"{prefix}{i:D4}"));
            }
            finally
            {
                posting.Release();
            }
        }));
    }

    /// <summary>
    /// Waits until every given onboarding has ended (or, <paramref name="untilSettled"/>, until the registry sweep has
    /// also retried every transient failure), polling the table rather than N status URLs, then reads each final
    /// answer once through a freshly signed status URL.
    /// </summary>
    public async Task<ApiResponse[]> WaitForAllAsync(IReadOnlyList<string> instanceIds, TimeSpan timeout, bool untilSettled = false)
    {
        DateTimeOffset deadline = DateTimeOffset.UtcNow + timeout;
        List<AccountRecord> records = [];
        await Eventually.UntilAsync(
            async () =>
            {
                records = await Table.QueryAsync<AccountRecord>(select: ["RowKey", "Status", "ErrorTransient"]).ToListAsync();
                // Settled: connected, or failed for a cause the sweep will not retry.
                return records.Count(r => r.Status == OnboardingStatus.Connected || (r.Status == OnboardingStatus.Failed && (!untilSettled || r.ErrorTransient != true))) >= instanceIds.Count;
            },
            () => $"records now: {string.Join(", ", records.GroupBy(r => r.Status).Select(g => $"{g.Count()} {g.Key}"))}\n{Host.Output}",
            $"{instanceIds.Count} onboardings to end",
            timeout,
            TimeSpan.FromSeconds(1));

        using SemaphoreSlim parallel = new(8);
        return await Task.WhenAll(instanceIds.Select(async id =>
        {
            await parallel.WaitAsync();
            try
            {
                return await PollUntilDoneAsync(StatusUrl(id), deadline - DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1));
            }
            finally
            {
                parallel.Release();
            }
        }));
    }

    public static async Task<ApiResponse> ToApiResponseAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Dictionary<string, string> headers = response.Headers.Concat(response.Content.Headers)
                .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
            return new ApiResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, headers, await response.Content.ReadAsStringAsync());
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        await Adobe.DisposeAsync();
        await EntraAndBlobs.DisposeAsync();
        if (KeyVault is not null)
        {
            await KeyVault.DisposeAsync();
        }

        if (TableProxy is not null)
        {
            await TableProxy.DisposeAsync();
        }

        try
        {
            await Table.DeleteAsync();
        }
        catch (Azure.RequestFailedException)
        {
        }
    }
}
