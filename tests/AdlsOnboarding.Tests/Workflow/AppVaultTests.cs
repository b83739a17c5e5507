using System.Security.Cryptography;
using AdlsOnboarding.Api;
using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.KeyVault;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Hosting;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>
/// Two Key Vault stand-ins: the app vault holds the app's own secrets (IMS client secret, status-token key), the keys
/// vault the service principal keys. A request names a secret; it can only ever name one in the keys vault.
/// </summary>
public sealed class AppVaultTests : IAsyncLifetime
{
    private const string StatusKeySecret = "status-token-key";
    private RunningSimulator<KeyVaultStubState> _appVault = null!;
    private WorkflowHarness _harness = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Null when the test never started the harness.
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }

        if (_appVault is not null)
        {
            await _appVault.DisposeAsync();
        }
    }

    /// <summary>The workflow with both vaults; the IMS client secret only in the app vault.</summary>
    private async Task StartAsync(Action<Dictionary<string, string?>>? configure = null)
    {
        _appVault = await SimulatorHost.StartKeyVaultAsync();
        _appVault.State.AcceptedToken = WorkflowHarness.KeyVaultToken;
        RunningSimulator<KeyVaultStubState> appVault = _appVault;
        WorkflowHarness? harness = null;
        _harness = harness = await WorkflowHarness.StartAsync(
            settings =>
            {
                settings["Secrets:AppKeyVaultUri"] = appVault.BaseAddress.AbsoluteUri;
                configure?.Invoke(settings);
            },
            services => services.AddSingleton<Action<SecretClientOptions>>(options =>
            {
                // Each client trusts exactly the two stand-ins' certificates (read when the TLS handshake happens).
                options.DisableChallengeResourceVerification = true;
                options.Transport = new HttpClientTransport(new HttpClientHandler
                {
                    ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                        certificate?.Thumbprint == appVault.Certificate!.Thumbprint || certificate?.Thumbprint == harness!.KeyVault.Certificate!.Thumbprint,
                });
            }));
        _harness.KeyVault.State.DeleteSecret(WorkflowHarness.ImsSecretName);
        _appVault.State.SetSecret(WorkflowHarness.ImsSecretName, _harness.Adobe.State.Settings.ClientSecret);
    }

    [Fact]
    public async Task Onboard_SecretNameOfTheImsSecret_SecretUnavailableAndNothingSentToAdobe()
    {
        await StartAsync();

        // Past the request validator on purpose: the vault boundary must hold even for a name the rules let through.
        OnboardingInput input = _harness.Input(WorkflowHarness.Request(account: "deputyacct")) with { SecretName = WorkflowHarness.ImsSecretName };
        string instanceId = OnboardingInstanceId.For(input.Sandbox, input.AccountName);
        await _harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestrationV2), input, new StartOrchestrationOptions(instanceId));
        OnboardingOutcome outcome = (await _harness.WaitAsync(instanceId)).ReadOutputAs<OnboardingOutcome>()!;

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal(SecretErrorCodes.Unavailable, outcome.ErrorCode);
        Assert.Empty(_harness.Adobe.State.Calls);
        Assert.Empty(_harness.Adobe.State.Connections);
        Assert.DoesNotContain(_appVault.State.Calls, c => c.Path.Contains(WorkflowHarness.ImsSecretName, StringComparison.Ordinal));
        Assert.Contains(_harness.KeyVault.State.Calls, c => c.Path.Contains(WorkflowHarness.ImsSecretName, StringComparison.Ordinal) && c.Status == 404);

        // The IMS secret is there and in use, for the app alone.
        (_, OnboardingOutcome honest) = await _harness.OnboardAsync(WorkflowHarness.Request(account: "honestacct"));
        Assert.Equal(OnboardingStatus.Connected, honest.Status);
    }

    [Fact]
    public async Task Onboard_ValidRequest_ImsSecretFromTheAppVaultKeyFromTheKeysVault()
    {
        await StartAsync();

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request(account: "splitacct"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Contains(_appVault.State.Calls, c => c.Path.Contains(WorkflowHarness.ImsSecretName, StringComparison.Ordinal) && c.Status == 200);
        Assert.DoesNotContain(_appVault.State.Calls, c => c.Path.Contains(WorkflowHarness.ServicePrincipalSecretName, StringComparison.Ordinal));
        Assert.DoesNotContain(_harness.KeyVault.State.Calls, c => c.Path.Contains(WorkflowHarness.ImsSecretName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_StatusKeyNotReadableYet_503NothingStartedThenServesOnceReadable()
    {
        await StartAsync(settings =>
        {
            settings.Remove("Api:StatusTokenKey");
            settings["Api:StatusTokenKeySecretName"] = StatusKeySecret;
        });
        _appVault.State.ForbiddenByRbac = true;
        string body = System.Text.Json.JsonSerializer.Serialize(new
        {
            storageAccountUrl = "https://earlyacct.dfs.core.windows.net",
            clientId = "11111111-2222-3333-4444-555555555555",
            tenant = "contoso.onmicrosoft.com",
            secretName = WorkflowHarness.ServicePrincipalSecretName,
            sandbox = "prod",
        });

        ApiResponse early = await PostAsync(body);

        Assert.Equal(503, early.Status);
        Assert.Equal("application/problem+json", early.ContentType);
        Assert.Equal("5", early.Header("Retry-After"));
        Assert.Null(await _harness.Client.GetInstanceAsync("onboard-prod-earlyacct"));
        Assert.Empty(_harness.Adobe.State.Calls);

        // The role assignment takes effect and the postprovision hook has created the key: the app serves.
        _appVault.State.SetSecret(StatusKeySecret, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        _appVault.State.ForbiddenByRbac = false;
        ApiResponse accepted = early;
        DateTimeOffset deadline = DateTimeOffset.UtcNow.AddSeconds(90);
        while (accepted.Status == 503)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"Still 503 after 90 s.\n{string.Join("\n", _harness.Logs.Entries.TakeLast(20))}");
            await Task.Delay(250);
            accepted = await PostAsync(body);
        }

        Assert.Equal(202, accepted.Status);
        string statusUrl = accepted.Header("Location")!;
        ApiResponse done = accepted;
        while (done.Status == 202)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "The onboarding did not end within 90 s.");
            await Task.Delay(250);
            done = await GetAsync(statusUrl);
            statusUrl = done.Header("Location") ?? statusUrl;
        }

        Assert.Equal(200, done.Status);
        Assert.Equal("Connected", done.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task HostStart_AppVaultIsTheKeysVault_Refused()
    {
        Dictionary<string, string?> settings = WorkflowHarness.BaseSettings(new Uri("http://127.0.0.1:7081/"), new Uri("https://127.0.0.1:7082/"), "Accounts");
        settings["Secrets:AppKeyVaultUri"] = "https://127.0.0.1:7082/";
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<Azure.Core.TokenCredential>(new StaticTokenCredential("t"));
        builder.Services.AddAdlsOnboardingWorkflow();
        builder.Services.AddAdlsOnboardingApi();
        using IHost host = builder.Build();

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Secrets:AppKeyVaultUri", ex.Message, StringComparison.Ordinal);
    }

    private async Task<ApiResponse> PostAsync(string body)
    {
        Microsoft.AspNetCore.Http.HttpRequest request = ApiCall.Request("POST", "https://onboarding.example.test/api/onboardings", body);
        return await ApiCall.ExecuteAsync(request, await _harness.Api.StartAsync(request, _harness.Client));
    }

    private async Task<ApiResponse> GetAsync(string url)
    {
        Microsoft.AspNetCore.Http.HttpRequest request = ApiCall.Request("GET", url, contentType: null);
        string instanceId = Uri.UnescapeDataString(new Uri(url).AbsolutePath.Split('/')[^1]);
        return await ApiCall.ExecuteAsync(request, await _harness.Api.GetStatusAsync(request, _harness.Client, instanceId));
    }
}
