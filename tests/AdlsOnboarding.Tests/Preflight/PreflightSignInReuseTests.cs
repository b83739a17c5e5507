using AdlsOnboarding.Simulator.BlobStorage;
using AdlsOnboarding.Simulator.Entra;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Preflight;

namespace AdlsOnboarding.Tests.Preflight;

/// <summary>
/// The pre-flight reuses a successful sign-in for later accounts with the same authority, tenant, client id and key
/// value (one token request per key in a bulk run), while every account is still listed; any other key, app or
/// tenant signs in on its own, failures are never reused, and a token the account no longer accepts is replaced once.
/// Against the Entra + blob stand-in, with the real SDK clients.
/// </summary>
public sealed class PreflightSignInReuseTests : IAsyncLifetime
{
    private const string OtherClientId = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";
    private const string OtherTenantId = "2b7e151a-28ae-4d2a-a6ab-f7158809cf4f";

    private PreflightHarness _harness = null!;

    private EntraStandInState Entra => _harness.Entra;

    private BlobStandInState Blobs => _harness.Blobs;

    private IReadOnlyList<EntraCall> TokenRequests => Entra.Calls;

    public async Task InitializeAsync() => _harness = await PreflightHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private Task<PreflightResult> CheckAsync(PreflightRequest request) => _harness.Checker.CheckAsync(request);

    private StandInAccount AddAccount(string name, string tenantId = PreflightHarness.TenantId, string reader = PreflightHarness.ClientId) =>
        Blobs.AddAccount(name, tenantId).AddContainers("data").GrantBlobDataReader(reader);

    [Fact]
    public async Task Check_ThreeAccountsSameServicePrincipalAndKey_OneTokenRequestThreeListings()
    {
        AddAccount("lakeb");
        AddAccount("lakec");

        foreach (string account in new[] { PreflightHarness.Account, "lakeb", "lakec" })
        {
            Assert.Equal(PreflightOutcome.Passed, (await CheckAsync(_harness.Request(account: account))).Outcome);
        }

        Assert.Equal(200, Assert.Single(TokenRequests).Status);
        Assert.Equal([PreflightHarness.Account, "lakeb", "lakec"], Blobs.Calls.Select(c => c.Account));
        Assert.All(Blobs.Calls, c => Assert.Equal((200, true), (c.Status, c.HadToken)));
        Assert.Equal(2, _harness.Logs.Entries.Count(e => e.EventId.Id == 2104));
    }

    [Fact]
    public async Task Check_SameServicePrincipalOtherKeyValue_SignsInAgainAndAWrongKeyStillFails()
    {
        string keyB = "spk~second-secret-" + Guid.NewGuid().ToString("N");
        _harness.App.AddSecret(keyB);

        await CheckAsync(_harness.Request());
        PreflightResult withB = await CheckAsync(_harness.Request(key: keyB));
        PreflightException wrong = await Assert.ThrowsAsync<PreflightException>(() => CheckAsync(_harness.Request(key: "not-the-key")));

        // A token obtained with one key is never the proof for another: each key value signs in itself.
        Assert.Equal(PreflightOutcome.Passed, withB.Outcome);
        Assert.Equal(PreflightErrorCodes.InvalidKey, wrong.Code);
        Assert.Equal([200, 200, 401], TokenRequests.Select(c => c.Status));
        Assert.Equal(2, Blobs.Calls.Count);
    }

    [Fact]
    public async Task Check_OtherTeamsClientIdWithoutItsKey_FailsAlthoughItsSignInIsKept()
    {
        // Team B's app and account; B's key is in the vault under B's secret and has just passed a pre-flight.
        string keyB = "spk~team-b-" + Guid.NewGuid().ToString("N");
        _harness.Tenant.AddApp(OtherClientId, "team-b-reader").AddSecret(keyB);
        AddAccount("teamblake", reader: OtherClientId);
        await CheckAsync(_harness.Request(key: keyB, clientId: OtherClientId, account: "teamblake"));

        // An onboarding that names B's client id and tenant but carries team A's key value.
        PreflightException ex = await Assert.ThrowsAsync<PreflightException>(() => CheckAsync(_harness.Request(clientId: OtherClientId, account: "teamblake")));

        Assert.Equal(PreflightErrorCodes.InvalidKey, ex.Code);
        Assert.Equal([200, 401], TokenRequests.Select(c => c.Status));
        Assert.Single(Blobs.Calls);
    }

    [Fact]
    public async Task Check_OtherClientIdWithTheSameKeyValue_SeparateSignIn()
    {
        // Two apps that happen to share a key value: each account is readable by one of them only.
        _harness.Tenant.AddApp(OtherClientId, "second-app").AddSecret(_harness.Key);
        AddAccount("secondapplake", reader: OtherClientId);

        PreflightResult first = await CheckAsync(_harness.Request());
        PreflightResult second = await CheckAsync(_harness.Request(clientId: OtherClientId, account: "secondapplake"));

        Assert.Equal((PreflightOutcome.Passed, PreflightOutcome.Passed), (first.Outcome, second.Outcome));
        Assert.Equal(2, TokenRequests.Count);
        Assert.All(Blobs.Calls, c => Assert.Equal(200, c.Status));
    }

    [Fact]
    public async Task Check_OtherTenantWithTheSameClientIdAndKey_SeparateSignIn()
    {
        Entra.AddTenant(OtherTenantId, "fabrikam.onmicrosoft.com").AddApp(PreflightHarness.ClientId, "multi-tenant-app").AddSecret(_harness.Key);
        AddAccount("fabrikamlake", tenantId: OtherTenantId);

        await CheckAsync(_harness.Request());
        PreflightResult other = await CheckAsync(_harness.Request(tenant: OtherTenantId, account: "fabrikamlake"));

        Assert.Equal(PreflightOutcome.Passed, other.Outcome);
        Assert.Equal([$"/{PreflightHarness.TenantId}/oauth2/v2.0/token", $"/{OtherTenantId}/oauth2/v2.0/token"], TokenRequests.Select(c => c.Path));

        // Each tenant's token went to its own account: no listing was refused on the way.
        Assert.Equal([200, 200], Blobs.Calls.Select(c => c.Status));
    }

    [Fact]
    public async Task Check_FailedSignIn_NotKeptTheNextCheckSignsInAgain()
    {
        // A correct key that Entra does not accept yet (propagation), within the grace period: transient.
        string young = "spk~young-" + Guid.NewGuid().ToString("N");
        _harness.App.AddSecret(young, activeFrom: DateTimeOffset.UtcNow.AddHours(1));
        PreflightRequest request = _harness.Request(key: young, keyCreatedOn: _harness.Time.GetUtcNow().AddMinutes(-1));

        PreflightException first = await Assert.ThrowsAsync<PreflightException>(() => CheckAsync(request));
        PreflightException second = await Assert.ThrowsAsync<PreflightException>(() => CheckAsync(request));
        _harness.App.ClearSecrets();
        _harness.App.AddSecret(young);
        PreflightResult third = await CheckAsync(request);

        Assert.Equal((PreflightErrorCodes.KeyNotYetAccepted, true), (first.Code, first.IsTransient));
        Assert.Equal((PreflightErrorCodes.KeyNotYetAccepted, true), (second.Code, second.IsTransient));
        Assert.Equal(PreflightOutcome.Passed, third.Outcome);
        Assert.Equal([401, 401, 200], TokenRequests.Select(c => c.Status));
        Assert.Single(Blobs.Calls);
    }

    [Fact]
    public async Task Check_TokenInItsLastFiveMinutes_FreshSignIn()
    {
        // The stand-in's tokens live 3599 s from their issue; the checker's clock starts at the real time.
        await CheckAsync(_harness.Request());
        _harness.Time.Advance(TimeSpan.FromMinutes(50));
        await CheckAsync(_harness.Request());
        Assert.Single(TokenRequests);

        // 57 min after the start: the token still has about 3 min to live, inside the 5-minute margin.
        _harness.Time.Advance(TimeSpan.FromMinutes(7));
        PreflightResult late = await CheckAsync(_harness.Request());

        Assert.Equal(PreflightOutcome.Passed, late.Outcome);
        Assert.Equal(2, TokenRequests.Count);
        Assert.Equal(3, Blobs.Calls.Count);
    }

    [Fact]
    public async Task Check_AccountRefusesTheReusedToken_OneFreshSignInThenPassesAndKeepsTheNewToken()
    {
        await CheckAsync(_harness.Request());
        Entra.RevokeIssuedTokens();

        PreflightResult afterRevocation = await CheckAsync(_harness.Request());
        PreflightResult next = await CheckAsync(_harness.Request());

        Assert.Equal((PreflightOutcome.Passed, PreflightOutcome.Passed), (afterRevocation.Outcome, next.Outcome));
        Assert.Equal([200, 200], TokenRequests.Select(c => c.Status));
        // The blob client answers a 401 challenge by asking its credential again (the same token) and retrying once.
        Assert.Equal([200, 401, 401, 200, 200], Blobs.Calls.Select(c => c.Status));
        Assert.Single(_harness.Logs.Entries, e => e.EventId.Id == 2105);
    }

    [Fact]
    public async Task Check_AccountOfAnotherTenantWithAReusedToken_OneFreshSignInThenTokenRejected()
    {
        AddAccount("otherorglake", tenantId: OtherTenantId);
        await CheckAsync(_harness.Request());

        PreflightException ex = await Assert.ThrowsAsync<PreflightException>(() => CheckAsync(_harness.Request(account: "otherorglake")));

        Assert.Equal((PreflightErrorCodes.TokenRejected, false), (ex.Code, ex.IsTransient));
        Assert.Equal(2, TokenRequests.Count);
        // The reused token's listing, then the fresh one's (each a 401 challenge the blob client retries once).
        Assert.Equal([200, 401, 401, 401, 401], Blobs.Calls.Select(c => c.Status));
    }

    [Fact]
    public async Task Check_RoleMissingOrNetworkRulesWithAReusedToken_SameOutcomeNoSecondSignIn()
    {
        Blobs.AddAccount("norolelake", PreflightHarness.TenantId).AddContainers("data");
        AddAccount("firewalledlake").NetworkRulesDenyCaller = true;
        await CheckAsync(_harness.Request());

        PreflightException noRole = await Assert.ThrowsAsync<PreflightException>(() => CheckAsync(_harness.Request(account: "norolelake")));
        PreflightResult firewalled = await CheckAsync(_harness.Request(account: "firewalledlake"));

        Assert.Equal(PreflightErrorCodes.RoleMissing, noRole.Code);
        Assert.Equal(PreflightWarningCodes.NetworkRulesRefusedUs, firewalled.Warning?.Code);
        Assert.Single(TokenRequests);
        Assert.Equal([200, 403, 403], Blobs.Calls.Select(c => c.Status));
    }
}
