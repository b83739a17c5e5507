using AdlsOnboarding.Simulator.BlobStorage;
using AdlsOnboarding.Simulator.Entra;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Preflight;

namespace AdlsOnboarding.Tests.Preflight;

/// <summary>
/// The pre-flight with the real <c>ClientSecretCredential</c> and <c>BlobServiceClient</c> against the Entra + blob
/// stand-in over https: one test per classified outcome.
/// </summary>
public sealed class PreflightCheckerTests : IAsyncLifetime
{
    private PreflightHarness _harness = null!;

    private EntraStandInState Entra => _harness.Entra;

    private BlobStandInState Blobs => _harness.Blobs;

    public async Task InitializeAsync() => _harness = await PreflightHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private Task<PreflightResult> CheckAsync(PreflightRequest? request = null) => _harness.Checker.CheckAsync(request ?? _harness.Request());

    private async Task<PreflightException> FailsAsync(PreflightRequest? request = null) =>
        await Assert.ThrowsAsync<PreflightException>(() => CheckAsync(request));

    [Fact]
    public async Task Check_ValidKeyWithReaderRole_PassesWithOneTokenRequestAndOneListing()
    {
        PreflightResult result = await CheckAsync();

        Assert.Equal(PreflightOutcome.Passed, result.Outcome);
        Assert.Null(result.Warning);
        EntraCall signIn = Assert.Single(Entra.Calls);
        Assert.Equal(("POST", $"/{PreflightHarness.TenantId}/oauth2/v2.0/token", 200), (signIn.Method, signIn.Path, signIn.Status));
        Assert.Equal(["client_id", "client_info", "client_secret", "grant_type", "scope"], signIn.FormFields);
        BlobCall listing = Assert.Single(Blobs.Calls);
        Assert.Equal((PreflightHarness.Account, 200, true), (listing.Account, listing.Status, listing.HadToken));
        Assert.Contains("comp=list", listing.Query, StringComparison.Ordinal);
        Assert.Contains("maxresults=1", listing.Query, StringComparison.Ordinal);
        Assert.Empty(_harness.StandIn.State.Unmatched);
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 2100);
    }

    [Fact]
    public async Task Check_TenantGivenAsDomainName_Passes()
    {
        PreflightResult result = await CheckAsync(_harness.Request(tenant: PreflightHarness.TenantDomain));

        Assert.Equal(PreflightOutcome.Passed, result.Outcome);
        Assert.Equal($"/{PreflightHarness.TenantDomain}/oauth2/v2.0/token", Assert.Single(Entra.Calls).Path);
    }

    [Fact]
    public async Task Check_WrongKey_PermanentInvalidKeyAndNoListing()
    {
        PreflightException ex = await FailsAsync(_harness.Request(key: "not-the-key"));

        Assert.Equal(PreflightErrorCodes.InvalidKey, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("AADSTS7000215", ex.OperatorMessage, StringComparison.Ordinal);
        Assert.Contains("Key Vault secret", ex.OperatorMessage, StringComparison.Ordinal);
        Assert.Equal(new ClassifiedFailure(PreflightErrorCodes.InvalidKey, ex.OperatorMessage, false, null), FailurePropertiesProvider.Classify(ex));
        Assert.Empty(Blobs.Calls);
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 2102 && e.Message.Contains(PreflightErrorCodes.InvalidKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_NewKeyVersionNotYetAccepted_TransientWithinGracePeriod()
    {
        // A secret created in Entra a moment ago: correct, but refused as invalid until it has propagated.
        _harness.App.AddSecret("brand-new-secret", activeFrom: DateTimeOffset.UtcNow.AddHours(1));

        PreflightException young = await FailsAsync(_harness.Request(key: "brand-new-secret", keyCreatedOn: _harness.Time.GetUtcNow().AddMinutes(-2)));
        PreflightException old = await FailsAsync(_harness.Request(key: "brand-new-secret", keyCreatedOn: _harness.Time.GetUtcNow().AddMinutes(-11)));
        PreflightException unknownAge = await FailsAsync(_harness.Request(key: "brand-new-secret", keyCreatedOn: null));

        Assert.Equal((PreflightErrorCodes.KeyNotYetAccepted, true), (young.Code, young.IsTransient));
        Assert.Equal((PreflightErrorCodes.InvalidKey, false), (old.Code, old.IsTransient));
        Assert.Equal((PreflightErrorCodes.InvalidKey, false), (unknownAge.Code, unknownAge.IsTransient));
    }

    [Fact]
    public async Task Check_GracePeriodFromConfiguration_Honoured()
    {
        await using PreflightHarness harness = await PreflightHarness.StartAsync(s => s["Preflight:NewKeyGracePeriod"] = "00:30:00");

        PreflightException ex = await Assert.ThrowsAsync<PreflightException>(() =>
            harness.Checker.CheckAsync(harness.Request(key: "not-yet-active", keyCreatedOn: harness.Time.GetUtcNow().AddMinutes(-20))));

        Assert.Equal(PreflightErrorCodes.KeyNotYetAccepted, ex.Code);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Check_ExpiredKey_PermanentKeyExpired()
    {
        _harness.App.AddSecret("expired-secret", expiresOn: DateTimeOffset.UtcNow.AddDays(-1));

        PreflightException ex = await FailsAsync(_harness.Request(key: "expired-secret", keyCreatedOn: _harness.Time.GetUtcNow().AddMinutes(-1)));

        Assert.Equal(PreflightErrorCodes.KeyExpired, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("AADSTS7000222", ex.OperatorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AppNotInTenant_PermanentAppNotFound()
    {
        PreflightException ex = await FailsAsync(_harness.Request(clientId: "12345678-1234-1234-1234-123456789abc"));

        Assert.Equal(PreflightErrorCodes.AppNotFound, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("12345678-1234-1234-1234-123456789abc", ex.OperatorMessage, StringComparison.Ordinal);
        Assert.Contains(PreflightHarness.TenantId, ex.OperatorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AppDisabled_PermanentAppDisabled()
    {
        _harness.App.Disabled = true;

        PreflightException ex = await FailsAsync();

        Assert.Equal(PreflightErrorCodes.AppDisabled, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("AADSTS7000112", ex.OperatorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TenantNotFound_PermanentTenantNotFound()
    {
        PreflightException ex = await FailsAsync(_harness.Request(tenant: "nosuchtenant.onmicrosoft.com"));

        Assert.Equal(PreflightErrorCodes.TenantNotFound, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("nosuchtenant.onmicrosoft.com", ex.OperatorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_BlockedByConditionalAccess_Permanent()
    {
        _harness.App.BlockedByConditionalAccess = true;

        PreflightException ex = await FailsAsync();

        Assert.Equal(PreflightErrorCodes.BlockedByConditionalAccess, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("AADSTS53003", ex.OperatorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AnotherAadstsError_PermanentSignInRefusedNamingTheCode()
    {
        Entra.EnqueueFault(EntraFault.Aadsts(700024, "invalid_client", "Client assertion is not within its valid time range."));

        PreflightException ex = await FailsAsync();

        Assert.Equal(PreflightErrorCodes.SignInRefused, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("AADSTS700024", ex.OperatorMessage, StringComparison.Ordinal);
        Assert.Contains("https://login.microsoftonline.com/error?code=700024", ex.OperatorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_EntraThrottles_TransientWithItsRetryAfter()
    {
        Entra.EnqueueFault(EntraFault.Throttle(7));

        PreflightException ex = await FailsAsync();

        Assert.Equal(PreflightErrorCodes.Throttled, ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Equal(7000L, FailurePropertiesProvider.Classify(ex)!.ToProperties()[ClassifiedFailure.RetryAfterMsProperty]);
        Assert.Empty(Blobs.Calls);
    }

    [Fact]
    public async Task Check_EntraUnavailable_TransientUnavailable()
    {
        // MSAL repeats a 5xx without Retry-After once by itself; both attempts fail here.
        Entra.EnqueueFault(EntraFault.Unavailable(503));
        Entra.EnqueueFault(EntraFault.Unavailable(503));

        PreflightException ex = await FailsAsync();

        Assert.Equal(PreflightErrorCodes.Unavailable, ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Empty(Blobs.Calls);
    }

    [Fact]
    public async Task Check_EntraDoesNotAnswer_TransientTimeout()
    {
        await using PreflightHarness harness = await PreflightHarness.StartAsync(s => s["Preflight:RequestTimeout"] = "00:00:03");
        harness.Entra.EnqueueFault(new EntraFault(EntraFaultKind.Hang));
        harness.Entra.EnqueueFault(new EntraFault(EntraFaultKind.Hang));

        PreflightException ex = await Assert.ThrowsAsync<PreflightException>(() => harness.Checker.CheckAsync(harness.Request()));

        Assert.Equal(PreflightErrorCodes.Timeout, ex.Code);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Check_EntraDropsTheConnection_TransientUnreachable()
    {
        Entra.EnqueueFault(new EntraFault(EntraFaultKind.Reset));

        PreflightException ex = await FailsAsync();

        Assert.Equal(PreflightErrorCodes.Unreachable, ex.Code);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Check_RoleMissing_PermanentNamingTheRoleAndTheAccount()
    {
        Blobs.AddAccount("norolelake", PreflightHarness.TenantId).AddContainers("data");

        PreflightException ex = await FailsAsync(_harness.Request(account: "norolelake"));

        Assert.Equal(PreflightErrorCodes.RoleMissing, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("Storage Blob Data Reader", ex.OperatorMessage, StringComparison.Ordinal);
        Assert.Contains("storage account norolelake as scope", ex.OperatorMessage, StringComparison.Ordinal);
        Assert.Contains(PreflightHarness.ClientId, ex.OperatorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NetworkRulesRefuseUs_PassesWithWarningNotFailure()
    {
        _harness.StorageAccount.NetworkRulesDenyCaller = true;

        PreflightResult result = await CheckAsync();

        Assert.Equal(PreflightOutcome.PassedWithWarning, result.Outcome);
        Assert.Equal(PreflightWarningCodes.NetworkRulesRefusedUs, result.Warning?.Code);
        Assert.Contains("Adobe", result.Warning!.Message, StringComparison.Ordinal);
        Assert.Equal(403, Assert.Single(Blobs.Calls).Status);
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 2101);
    }

    [Fact]
    public async Task Check_AccountOfAnotherTenant_PermanentTokenRejected()
    {
        Blobs.AddAccount("otherorglake", "99999999-8888-7777-6666-555555555555").GrantBlobDataReader(PreflightHarness.ClientId);

        PreflightException ex = await FailsAsync(_harness.Request(account: "otherorglake"));

        Assert.Equal(PreflightErrorCodes.TokenRejected, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("InvalidAuthenticationInfo", ex.OperatorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(503, "ServerBusy", PreflightErrorCodes.Throttled)]
    [InlineData(429, null, PreflightErrorCodes.Throttled)]
    [InlineData(500, null, PreflightErrorCodes.Unavailable)]
    [InlineData(503, "ServiceUnavailable", PreflightErrorCodes.Unavailable)]
    public async Task Check_StorageThrottlesOrFails_TransientWithRetryAfter(int status, string? code, string expected)
    {
        Blobs.EnqueueFault(new BlobFault(BlobFaultKind.Status, status, code, RetryAfterSeconds: 9));

        PreflightException ex = await FailsAsync();

        Assert.Equal(expected, ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(9), ex.RetryAfter);
    }

    [Fact]
    public async Task Check_StorageDoesNotAnswer_TransientTimeout()
    {
        await using PreflightHarness harness = await PreflightHarness.StartAsync(s => s["Preflight:RequestTimeout"] = "00:00:03");
        harness.Blobs.EnqueueFault(new BlobFault(BlobFaultKind.Hang));

        PreflightException ex = await Assert.ThrowsAsync<PreflightException>(() => harness.Checker.CheckAsync(harness.Request()));

        Assert.Equal(PreflightErrorCodes.Timeout, ex.Code);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Check_BlobEndpointRefusesConnections_TransientUnreachable()
    {
        // Port 9 on loopback has no listener: the connection is refused.
        await using PreflightHarness harness = await PreflightHarness.StartAsync(s => s["Preflight:BlobEndpointTemplate"] = "https://127.0.0.1:9/{account}");

        PreflightException ex = await Assert.ThrowsAsync<PreflightException>(() => harness.Checker.CheckAsync(harness.Request()));

        Assert.Equal(PreflightErrorCodes.Unreachable, ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Single(harness.Entra.Calls);
    }

    [Fact]
    public async Task Check_StorageRefusesOtherwise_PermanentStorageRefusedNamingItsCode()
    {
        Blobs.EnqueueFault(new BlobFault(BlobFaultKind.Status, 403, "AccountIsDisabled"));

        PreflightException ex = await FailsAsync();

        Assert.Equal(PreflightErrorCodes.StorageRefused, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Contains("AccountIsDisabled", ex.OperatorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil.example#")]
    [InlineData("a/../b")]
    [InlineData("UPPER")]
    [InlineData("")]
    public async Task Check_AccountThatIsNotABareName_PermanentAndNothingSent(string account)
    {
        PreflightException ex = await FailsAsync(_harness.Request(account: account));

        Assert.Equal(PreflightErrorCodes.InvalidRequest, ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Empty(Entra.Calls);
        Assert.Empty(Blobs.Calls);
    }

    [Fact]
    public async Task Check_PreflightOff_SkippedWithoutAnyRequest()
    {
        await using PreflightHarness harness = await PreflightHarness.StartAsync(s => s["Onboarding:Preflight"] = "Off");

        PreflightResult result = await harness.Checker.CheckAsync(harness.Request(key: "not-even-the-right-key"));

        Assert.Equal(PreflightOutcome.Skipped, result.Outcome);
        Assert.Empty(harness.Entra.Calls);
        Assert.Empty(harness.Blobs.Calls);
        Assert.Contains(harness.Logs.Entries, e => e.EventId.Id == 2103);
    }
}
