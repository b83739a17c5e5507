using System.Text.Json;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Simulator.BlobStorage;
using AdlsOnboarding.Simulator.Entra;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Preflight;
using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Rotation;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Preflight;

/// <summary>
/// The pre-flight inside the workflow, end to end: the HTTP API, the orchestration, the real
/// <c>ClientSecretCredential</c> and <c>BlobServiceClient</c> against the Entra + blob stand-in, the Adobe simulator
/// (whose call log shows what reached Adobe) and the account records in Azurite.
/// </summary>
public sealed class PreflightWorkflowTests : IAsyncLifetime
{
    private const string SecretName = "sp-key-preflight";
    private const string OtherClientId = "22222222-3333-4444-5555-666666666666";
    private WorkflowHarness _harness = null!;

    private SimulatorState Adobe => _harness.Adobe.State;

    private EntraStandInState Entra => _harness.EntraAndBlobs.State.Entra;

    private BlobStandInState Blobs => _harness.EntraAndBlobs.State.Blobs;

    public async Task InitializeAsync() => _harness = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>Calls that would carry a key to Adobe.</summary>
    private int KeySendingCalls => Adobe.Calls.Count(c => c.Operation is SimulatedOperation.Create or SimulatedOperation.Update);

    /// <summary>Stores a key an hour old (past the grace period) bound to the given service principal; Entra knows it only if <paramref name="entraKnowsIt"/>.</summary>
    private (string Value, string Version) StoreKey(bool entraKnowsIt = true, string clientId = WorkflowHarness.ClientId, string tenant = WorkflowHarness.Tenant, DateTimeOffset? createdOn = null)
    {
        _harness.VaultKeysKnownToEntra = entraKnowsIt;
        string value = "spk~" + Guid.NewGuid().ToString("N");
        string version = _harness.KeyVault.State.SetSecret(SecretName, value, createdOn: createdOn ?? DateTimeOffset.UtcNow.AddHours(-1), tags: SecretBindingTags.For(clientId, tenant));
        _harness.VaultKeysKnownToEntra = true;
        return (value, version);
    }

    private static OnboardingRequest Request(string account, string clientId = WorkflowHarness.ClientId, string tenant = WorkflowHarness.Tenant) =>
        WorkflowHarness.Request(account, secretName: SecretName) with { ClientId = clientId, Tenant = tenant };

    private static string Body(OnboardingRequest request) => JsonSerializer.Serialize(new
    {
        storageAccountUrl = request.StorageAccountUrl,
        clientId = request.ClientId,
        tenant = request.Tenant,
        secretName = request.SecretName,
        sandbox = request.Sandbox,
    });

    /// <summary>Starts the onboarding through the HTTP API and polls its status URL to the end, as a caller does.</summary>
    private async Task<ApiResponse> OnboardThroughApiAsync(OnboardingRequest request)
    {
        const string Base = WorkflowHarness.PublicBaseUrl;
        var post = ApiCall.Request("POST", $"{Base}/api/onboardings", Body(request), "application/json");
        ApiResponse accepted = await ApiCall.ExecuteAsync(post, await _harness.Api.StartAsync(post, _harness.Client));
        Assert.Equal(202, accepted.Status);
        string url = accepted.Header("Location")!;
        return await Eventually.UntilAsync(
            async () =>
            {
                var get = ApiCall.Request("GET", url, contentType: null);
                string instanceId = Uri.UnescapeDataString(new Uri(url).AbsolutePath.Split('/')[^1]);
                ApiResponse response = await ApiCall.ExecuteAsync(get, await _harness.Api.GetStatusAsync(get, _harness.Client, instanceId));
                url = response.Status == 202 ? response.Header("Location")! : url;
                return response;
            },
            response => response.Status != 202,
            _harness.LogText,
            $"{request.StorageAccountUrl} to finish");
    }

    /// <summary>Sets the stand-in up for one permanent outcome; returns the request and the key it will read.</summary>
    private (OnboardingRequest Request, string Key, string Version) Arrange(string outcome)
    {
        (string key, string version) = outcome switch
        {
            "invalid key" or "expired key" => StoreKey(entraKnowsIt: false),
            "app not found" => StoreKey(clientId: OtherClientId),
            "tenant not found" => StoreKey(tenant: "fabrikam.onmicrosoft.com"),
            _ => StoreKey(),
        };
        string account = "pf" + outcome.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        OnboardingRequest request = Request(account);
        switch (outcome)
        {
            case "expired key":
                _harness.App.AddSecret(key, expiresOn: DateTimeOffset.UtcNow.AddDays(-1));
                break;
            case "app not found":
                request = Request(account, clientId: OtherClientId);
                break;
            case "app disabled":
                _harness.App.Disabled = true;
                break;
            case "tenant not found":
                request = Request(account, tenant: "fabrikam.onmicrosoft.com");
                break;
            case "conditional access":
                _harness.App.BlockedByConditionalAccess = true;
                break;
            case "other aadsts":
                Entra.EnqueueFault(EntraFault.Aadsts(700024, "invalid_client", "Client assertion is not within its valid time range."));
                break;
            case "role missing":
                Blobs.AddAccount(account, WorkflowHarness.TenantId);
                break;
            case "account of another tenant":
                Blobs.AddAccount(account, "0b5d2f3e-9c8a-4d1b-a6e7-3f2c1d0e9b8a").GrantBlobDataReader(WorkflowHarness.ClientId);
                break;
            case "storage refused":
                Blobs.AddAccount(account, WorkflowHarness.TenantId).GrantBlobDataReader(WorkflowHarness.ClientId);
                Blobs.EnqueueFault(new BlobFault(BlobFaultKind.Status, 403, "AccountIsDisabled"));
                break;
        }

        return (request, key, version);
    }

    [Theory]
    [InlineData("invalid key", PreflightErrorCodes.InvalidKey)]
    [InlineData("expired key", PreflightErrorCodes.KeyExpired)]
    [InlineData("app not found", PreflightErrorCodes.AppNotFound)]
    [InlineData("app disabled", PreflightErrorCodes.AppDisabled)]
    [InlineData("tenant not found", PreflightErrorCodes.TenantNotFound)]
    [InlineData("conditional access", PreflightErrorCodes.BlockedByConditionalAccess)]
    [InlineData("other aadsts", PreflightErrorCodes.SignInRefused)]
    [InlineData("role missing", PreflightErrorCodes.RoleMissing)]
    [InlineData("account of another tenant", PreflightErrorCodes.TokenRejected)]
    [InlineData("storage refused", PreflightErrorCodes.StorageRefused)]
    public async Task Onboard_PreflightFailsPermanently_422WithItsCodeRecordedAndNoFlowServiceCall(string outcome, string code)
    {
        (OnboardingRequest request, string key, string version) = Arrange(outcome);

        ApiResponse done = await OnboardThroughApiAsync(request);

        Assert.Equal(422, done.Status);
        Assert.Equal(code, done.Json.GetProperty("errorCode").GetString());
        Assert.Contains($"Key version {version}", done.Json.GetProperty("detail").GetString());
        Assert.DoesNotContain(key, done.Body);

        // Adobe saw nothing at all: not a token request, not a look-up, not a create.
        Assert.Empty(Adobe.Calls);
        Assert.Empty(Adobe.Connections);

        string account = request.StorageAccountUrl!.Split('.')[0]["https://".Length..];
        AccountRecord record = (await _harness.RecordAsync("prod", account))!;
        Assert.Equal(OnboardingStatus.Failed, record.Status);
        Assert.Equal(code, record.ErrorCode);
        Assert.False(record.ErrorTransient);
        Assert.True(string.IsNullOrEmpty(record.ConnectionId));
        Assert.NotEqual(true, record.CreatePending);
        Assert.Equal(1, record.AttemptCount);
        Assert.Empty(_harness.EntraAndBlobs.State.Unmatched);
    }

    [Fact]
    public async Task Onboard_RoleMissing_TheSentenceSaysWhichRoleOnWhichScope()
    {
        (OnboardingRequest request, _, _) = Arrange("role missing");

        ApiResponse done = await OnboardThroughApiAsync(request);

        string detail = done.Json.GetProperty("detail").GetString()!;
        Assert.Contains("Storage Blob Data Reader", detail);
        Assert.Contains("pfrolemissing", detail);
    }

    [Fact]
    public async Task Onboard_NewKeyRefusedWithinGracePeriod_TransientRetriedUntilEntraAcceptsIt()
    {
        await _harness.DisposeAsync();
        _harness = await WorkflowHarness.StartAsync(settings =>
        {
            // Room for many attempts: the test, not the clock, decides when Entra starts accepting the key.
            settings["Onboarding:MaxAttempts"] = "40";
            settings["Onboarding:FirstRetryInterval"] = "00:00:00.500";
        });

        // A correct client secret stored a moment ago, which Entra still refuses as invalid (propagation).
        (string key, _) = StoreKey(entraKnowsIt: false, createdOn: DateTimeOffset.UtcNow);
        _harness.App.AddSecret(key, activeFrom: DateTimeOffset.UtcNow.AddYears(1));
        OnboardingInput input = _harness.Input(Request("pfyoungkey"));
        await _harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestrationV2), input, new Microsoft.DurableTask.StartOrchestrationOptions("onboard-prod-pfyoungkey"));
        await _harness.WaitUntilAsync(
            () => Task.FromResult(Entra.Calls.Count(c => c.ErrorCode?.Contains("7000215", StringComparison.Ordinal) == true) >= 2),
            "two refusals of the new key");
        Assert.Empty(Adobe.Calls);
        _harness.App.ClearSecrets();
        _harness.App.AddSecret(key);

        OnboardingOutcome result = (await _harness.WaitAsync("onboard-prod-pfyoungkey")).ReadOutputAs<OnboardingOutcome>()!;

        Assert.Equal(OnboardingStatus.Connected, result.Status);
        Assert.Equal(key, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 1003 && e.Message.Contains(PreflightErrorCodes.KeyNotYetAccepted, StringComparison.Ordinal));
        Assert.True((await _harness.RecordAsync("prod", "pfyoungkey"))!.AttemptCount > 2);
    }

    [Theory]
    [InlineData("entra throttled", "pftentrathrottled")]
    [InlineData("entra unavailable", "pftentraunavailable")]
    [InlineData("storage busy", "pftstoragebusy")]
    [InlineData("storage 500", "pftstorage500")]
    [InlineData("connection reset", "pftconnectionreset")]
    public async Task Onboard_PreflightTransient_RetriedLikeAnyCallThenConnected(string outcome, string account)
    {
        (string key, _) = StoreKey();
        switch (outcome)
        {
            case "entra throttled":
                Entra.EnqueueFault(EntraFault.Throttle(1));
                break;
            case "entra unavailable":
                // MSAL repeats a 5xx once by itself: two in a row reach the workflow's retry.
                Entra.EnqueueFault(EntraFault.Unavailable(503));
                Entra.EnqueueFault(EntraFault.Unavailable(503));
                break;
            case "storage busy":
                Blobs.EnqueueFault(BlobFault.ServerBusy(retryAfterSeconds: 1));
                break;
            case "storage 500":
                Blobs.EnqueueFault(new BlobFault(BlobFaultKind.Status, 500, "InternalError"));
                break;
            case "connection reset":
                Blobs.EnqueueFault(new BlobFault(BlobFaultKind.Reset));
                break;
        }

        (_, OnboardingOutcome result) = await _harness.OnboardAsync(Request(account));

        Assert.True(result.Status == OnboardingStatus.Connected, $"{result.ErrorCode}: {result.ErrorMessage}\n{_harness.LogText()}");
        Assert.Equal(ConnectionAction.Created, result.Action);
        Assert.Equal(key, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        Assert.Equal(1, Adobe.Calls.Count(c => c.Operation == SimulatedOperation.Create));
        AccountRecord record = (await _harness.RecordAsync("prod", account))!;
        Assert.True(record.AttemptCount > 1, $"attempts: {record.AttemptCount}");
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 1003 && e.Message.Contains("Preflight", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Onboard_NetworkRulesRefuseUs_ConnectedWithWarningAndAdobesViewRecorded()
    {
        StoreKey();
        Blobs.AddAccount("pffirewalled", WorkflowHarness.TenantId).GrantBlobDataReader(WorkflowHarness.ClientId).NetworkRulesDenyCaller = true;

        (_, OnboardingOutcome result) = await _harness.OnboardAsync(Request("pffirewalled"));

        Assert.Equal(OnboardingStatus.Connected, result.Status);
        Assert.StartsWith(PreflightWarningCodes.NetworkRulesRefusedUs + ":", result.Warning);
        Assert.True(result.AdobeCanList);
        AccountRecord record = (await _harness.RecordAsync("prod", "pffirewalled"))!;
        Assert.Equal(result.Warning, record.Warning);
        Assert.True(record.AdobeCanList);
        Assert.Single(Adobe.Connections);
    }

    [Fact]
    public async Task Onboard_AdobeCannotList_ConnectedWithWarningAndAdobeCanListFalse()
    {
        StoreKey();
        Adobe.SetExploreRefusal("https://pfadobeblocked.dfs.core.windows.net", "AuthorizationFailure");

        (_, OnboardingOutcome result) = await _harness.OnboardAsync(Request("pfadobeblocked"));

        Assert.Equal(OnboardingStatus.Connected, result.Status);
        Assert.False(result.AdobeCanList);
        Assert.StartsWith(PreflightWarningCodes.AdobeCannotList + ":", result.Warning);
        Assert.Contains("1308-400", result.Warning);
        AccountRecord record = (await _harness.RecordAsync("prod", "pfadobeblocked"))!;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
        Assert.False(record.AdobeCanList);
        Assert.Equal(result.Warning, record.Warning);
        Assert.Equal(1, Adobe.Calls.Count(c => c.Operation == SimulatedOperation.Explore));
    }

    [Fact]
    public async Task Onboard_Passes_ExploreAfterTheCreateOnlyAndContainerNamesNowhere()
    {
        StoreKey();
        Blobs.AddAccount("pfcontainers", WorkflowHarness.TenantId).AddContainers("top-secret-landing-zone").GrantBlobDataReader(WorkflowHarness.ClientId);

        (_, OnboardingOutcome first) = await _harness.OnboardAsync(Request("pfcontainers"));
        (_, OnboardingOutcome again) = await _harness.OnboardAsync(Request("pfcontainers"));

        Assert.Equal(ConnectionAction.Created, first.Action);
        Assert.True(first.AdobeCanList);
        Assert.Null(first.Warning);
        Assert.Equal(ConnectionAction.Reused, again.Action);
        Assert.Equal(1, Adobe.Calls.Count(c => c.Operation == SimulatedOperation.Explore));

        // A reuse sends nothing, so it signs in nowhere: one token request, one listing in all.
        Assert.Single(Entra.Calls);
        Assert.Single(Blobs.Calls, c => c.Account == "pfcontainers");
        AccountRecord record = (await _harness.RecordAsync("prod", "pfcontainers"))!;
        Assert.True(record.AdobeCanList);
        Assert.DoesNotContain(_harness.Logs.Entries, e => e.Message.Contains("top-secret-landing-zone", StringComparison.Ordinal));
        Assert.DoesNotContain("top-secret-landing-zone", JsonSerializer.Serialize(record));
    }

    [Fact]
    public async Task Onboard_PreflightOff_NothingSentToEntraOrTheAccount()
    {
        await _harness.DisposeAsync();
        _harness = await WorkflowHarness.StartAsync(settings => settings["Onboarding:Preflight"] = "Off");
        StoreKey(entraKnowsIt: false);

        (_, OnboardingOutcome result) = await _harness.OnboardAsync(Request("pfoff"));

        Assert.Equal(OnboardingStatus.Connected, result.Status);
        Assert.Empty(Entra.Calls);
        Assert.Empty(Blobs.Calls);
    }

    private Task<SecretEventReport> SendEventAsync(string version) =>
        _harness.Host.Services.GetRequiredService<SecretEventHandler>().HandleAsync(_harness.Client, Rotation.KeyVaultEvents.NewVersion(SecretName, version));

    private Task<SweepReport> SweepAsync() => _harness.Host.Services.GetRequiredService<RegistrySweeper>().SweepAsync(_harness.Client);

    private async Task<OnboardingOutcome> OnboardConnectedAsync(string account)
    {
        StoreKey();
        (_, OnboardingOutcome first) = await _harness.OnboardAsync(Request(account));
        Assert.Equal(OnboardingStatus.Connected, first.Status);
        return first;
    }

    [Fact]
    public async Task Rotation_NewVersionFailsPreflight_StaysConnectedWithWarningNamingItAndTheSweepDoesNotRetryAtOnce()
    {
        OnboardingOutcome first = await OnboardConnectedAsync("pfrotrefused");
        string oldKey = Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey;
        // Newer than the first key, older than the grace period: a wrong value, refused for good.
        (_, string refused) = StoreKey(entraKnowsIt: false, createdOn: DateTimeOffset.UtcNow.AddMinutes(-30));
        int sent = KeySendingCalls;

        await SendEventAsync(refused);
        OnboardingOutcome outcome = (await _harness.WaitAsync("onboard-prod-pfrotrefused")).ReadOutputAs<OnboardingOutcome>()!;

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(first.ConnectionId, outcome.ConnectionId);
        Assert.Equal(sent, KeySendingCalls);
        Assert.Equal(oldKey, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        AccountRecord record = (await _harness.RecordAsync("prod", "pfrotrefused"))!;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
        Assert.Equal(first.SecretVersion, record.SecretVersion);
        Assert.Equal(refused, record.PendingSecretVersion);
        Assert.StartsWith($"{PreflightWarningCodes.RotationRefused} ({PreflightErrorCodes.InvalidKey})", record.Warning);
        Assert.Contains(refused, record.Warning);
        Assert.True(string.IsNullOrEmpty(record.ErrorCode));
        Assert.True(record.NextAttemptAt > DateTimeOffset.UtcNow);

        // The sweep sees a newer version than Adobe's, but the refused one waits for NextAttemptAt.
        SweepReport sweep = await SweepAsync();
        Assert.Equal(0, sweep.Rotations);

        // A new, good version goes at once.
        (string good, string goodVersion) = StoreKey(createdOn: DateTimeOffset.UtcNow.AddMinutes(-20));
        await SendEventAsync(goodVersion);
        OnboardingOutcome rotated = (await _harness.WaitAsync("onboard-prod-pfrotrefused")).ReadOutputAs<OnboardingOutcome>()!;
        Assert.Equal(ConnectionAction.Updated, rotated.Action);
        Assert.Equal(good, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        AccountRecord after = (await _harness.RecordAsync("prod", "pfrotrefused"))!;
        Assert.Equal(goodVersion, after.SecretVersion);
        Assert.True(string.IsNullOrEmpty(after.PendingSecretVersion));
        Assert.True(string.IsNullOrEmpty(after.Warning));
    }

    [Fact]
    public async Task Rotation_StagedVersionWithFutureNbf_StaysConnectedAndTheSweepSendsItAtNbf()
    {
        OnboardingOutcome first = await OnboardConnectedAsync("pfrotstaged");
        // Key Vault keeps attributes in whole seconds.
        DateTimeOffset notBefore = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddSeconds(4).ToUnixTimeSeconds());
        string staged = "spk~staged-" + Guid.NewGuid().ToString("N");
        string stagedVersion = _harness.KeyVault.State.SetSecret(SecretName, staged, notBefore: notBefore, tags: WorkflowHarness.BoundTags());

        await SendEventAsync(stagedVersion);
        OnboardingOutcome held = (await _harness.WaitAsync("onboard-prod-pfrotstaged")).ReadOutputAs<OnboardingOutcome>()!;

        Assert.Equal(OnboardingStatus.Connected, held.Status);
        AccountRecord record = (await _harness.RecordAsync("prod", "pfrotstaged"))!;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
        Assert.Equal(first.SecretVersion, record.SecretVersion);
        Assert.Equal(stagedVersion, record.PendingSecretVersion);
        Assert.StartsWith($"{PreflightWarningCodes.RotationPending} ({SecretErrorCodes.NotYetValid})", record.Warning);
        Assert.Contains(stagedVersion, record.Warning);
        Assert.InRange(record.NextAttemptAt!.Value, notBefore.AddSeconds(-1), notBefore.AddSeconds(1));
        Assert.NotEqual(staged, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);

        // Not a durable timer: the instance has ended, and the sweep starts the rotation once nbf has passed.
        await _harness.WaitUntilAsync(
            async () => (await SweepAsync()).Rotations == 1,
            "the sweep to rotate the staged version after its nbf");
        Assert.True(DateTimeOffset.UtcNow >= notBefore);
        OnboardingOutcome rotated = (await _harness.WaitAsync("onboard-prod-pfrotstaged")).ReadOutputAs<OnboardingOutcome>()!;
        Assert.Equal(ConnectionAction.Updated, rotated.Action);
        Assert.Equal(staged, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        Assert.Equal(stagedVersion, (await _harness.RecordAsync("prod", "pfrotstaged"))!.SecretVersion);
    }

    [Fact]
    public async Task Rotation_NewVersionDisabled_StaysConnectedWithWarningNamingIt()
    {
        OnboardingOutcome first = await OnboardConnectedAsync("pfrotdisabled");
        string disabled = _harness.KeyVault.State.SetSecret(SecretName, "spk~disabled", enabled: false, tags: WorkflowHarness.BoundTags());

        await SendEventAsync(disabled);
        await _harness.WaitAsync("onboard-prod-pfrotdisabled");

        AccountRecord record = (await _harness.RecordAsync("prod", "pfrotdisabled"))!;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
        Assert.Equal(first.SecretVersion, record.SecretVersion);
        Assert.StartsWith($"{PreflightWarningCodes.RotationPending} ({SecretErrorCodes.Disabled})", record.Warning);
        Assert.Contains(disabled, record.Warning);
        Assert.Equal(0, Adobe.Calls.Count(c => c.Operation == SimulatedOperation.Update));
    }

    [Fact]
    public async Task FirstOnboarding_NotARotation_PreflightFailureIsAFailureNotAHold()
    {
        // Trigger Api with a connection already recorded (a re-onboarding with a new key) still fails: only rotations hold.
        await OnboardConnectedAsync("pfreonboard");
        StoreKey(entraKnowsIt: false, createdOn: DateTimeOffset.UtcNow.AddMinutes(-30));

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(Request("pfreonboard"));

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal(PreflightErrorCodes.InvalidKey, outcome.ErrorCode);
        Assert.Equal(0, Adobe.Calls.Count(c => c.Operation == SimulatedOperation.Update));
    }
}
