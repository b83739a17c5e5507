using System.Security.Cryptography;
using AdlsOnboarding.Api;
using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.KeyVault;
using AdlsOnboarding.Tests.Infrastructure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// The status-token key read by the real <see cref="SecretClient"/> from the Key Vault stand-in: versions listed and
/// read, refreshed on a timer, a rotation that breaks no URL in flight, and no crash while the key cannot be read.
/// </summary>
public sealed class KeyVaultStatusTokenKeysTests : IAsyncLifetime
{
    private const string SecretName = "status-token-key";
    private static readonly TimeSpan Refresh = TimeSpan.FromMinutes(5);

    // Key Vault keeps creation times in whole seconds.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    private readonly CancellationTokenSource _stop = new();
    private RunningSimulator<KeyVaultStubState> _vault = null!;
    private KeyVaultStatusTokenKeys _keys = null!;
    private StatusTokenService _tokens = null!;
    private Task _loading = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _vault = await SimulatorHost.StartKeyVaultAsync();
        _vault.State.AcceptedToken = "vault-token";
        SecretClientOptions options = new() { Retry = { MaxRetries = 0 } };
        WorkflowHarness.TrustStub(options, _vault);
        IOptions<ApiOptions> api = Options.Create(new ApiOptions { StatusTokenKeySecretName = SecretName, StatusTokenKeyRefreshInterval = Refresh });
        _keys = new KeyVaultStatusTokenKeys(new SecretClient(_vault.BaseAddress, new StaticTokenCredential("vault-token"), options), api, _time, NullLogger<KeyVaultStatusTokenKeys>.Instance);
        _tokens = new StatusTokenService(_keys, api, _time);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loading;
        await _vault.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task KeepLoaded_VaultForbiddenThenAllowed_NotReadyWithoutThrowingThenServes()
    {
        _vault.State.ForbiddenByRbac = true;
        _vault.State.SetSecret(SecretName, NewKey());
        _loading = _keys.KeepLoadedAsync(_stop.Token);

        await WaitUntilAsync(() => _vault.State.Calls.Any(c => c.Status == 403));
        Assert.False(_tokens.IsReady);
        Assert.False(_loading.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => _tokens.Issue("onboard-prod-a"));

        _vault.State.ForbiddenByRbac = false;
        await AdvanceUntilAsync(() => _tokens.IsReady);

        Assert.True(_tokens.IsValid("onboard-prod-a", _tokens.Issue("onboard-prod-a")));
    }

    [Fact]
    public async Task KeepLoaded_SecretNotCreatedYet_NotReadyThenServesOnceCreated()
    {
        _loading = _keys.KeepLoadedAsync(_stop.Token);
        await WaitUntilAsync(() => _vault.State.Calls.Any(c => c.Status == 404));
        Assert.False(_tokens.IsReady);

        _vault.State.SetSecret(SecretName, NewKey());
        await AdvanceUntilAsync(() => _tokens.IsReady);
    }

    [Fact]
    public async Task Rotation_NewVersion_OldUrlsStayValidAndTheNewKeySignsOnlyOnceEveryInstanceHasIt()
    {
        string oldKey = NewKey();
        _vault.State.SetSecret(SecretName, oldKey, createdOn: _time.GetUtcNow() - TimeSpan.FromDays(30));
        _loading = _keys.KeepLoadedAsync(_stop.Token);
        await WaitUntilAsync(() => _tokens.IsReady);
        string beforeRotation = _tokens.Issue("onboard-prod-a");

        string newKey = NewKey();
        _vault.State.SetSecret(SecretName, newKey, createdOn: _time.GetUtcNow());
        int listed = ListCalls();
        await AdvanceUntilAsync(() => ListCalls() > listed && _keys.Current!.VerificationKeys.Count == 2);

        // Loaded, but not yet signing: an instance that has not refreshed yet could not check its URLs.
        Assert.True(OnlyKey(oldKey).IsValid("onboard-prod-b", _tokens.Issue("onboard-prod-b")));
        Assert.True(_tokens.IsValid("onboard-prod-a", beforeRotation));

        listed = ListCalls();
        await AdvanceUntilAsync(() => ListCalls() > listed && OnlyKey(newKey).IsValid("onboard-prod-c", _tokens.Issue("onboard-prod-c")));

        Assert.True(_tokens.IsValid("onboard-prod-a", beforeRotation));
        Assert.False(OnlyKey(oldKey).IsValid("onboard-prod-c", _tokens.Issue("onboard-prod-c")));
    }

    [Fact]
    public async Task Load_DisabledExpiredAndMalformedVersions_NeverUsed()
    {
        string good = NewKey();
        _vault.State.SetSecret(SecretName, good, createdOn: _time.GetUtcNow() - TimeSpan.FromDays(3));
        _vault.State.SetSecret(SecretName, NewKey(), enabled: false, createdOn: _time.GetUtcNow() - TimeSpan.FromDays(2));
        _vault.State.SetSecret(SecretName, NewKey(), expiresOn: _time.GetUtcNow() - TimeSpan.FromHours(1), createdOn: _time.GetUtcNow() - TimeSpan.FromDays(1));
        _vault.State.SetSecret(SecretName, "not base64 at all", createdOn: _time.GetUtcNow() - TimeSpan.FromHours(2));
        _vault.State.SetSecret(SecretName, Convert.ToBase64String(new byte[16]), createdOn: _time.GetUtcNow() - TimeSpan.FromHours(1));

        _loading = _keys.KeepLoadedAsync(_stop.Token);
        await WaitUntilAsync(() => _tokens.IsReady);

        StatusTokenKeySet keys = _keys.Current!;
        Assert.Equal(Convert.FromBase64String(good), keys.SigningKey);
        Assert.Equal([Convert.FromBase64String(good)], keys.VerificationKeys);
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private StatusTokenService OnlyKey(string key) =>
        new(Options.Create(new ApiOptions { StatusTokenKey = key, StatusTokenLifetime = TimeSpan.FromMinutes(15) }), _time);

    private int ListCalls() => _vault.State.Calls.Count(c => c.Path.EndsWith("/versions", StringComparison.Ordinal) && c.Status == 200);

    /// <summary>Waits on real time (the vault answers over loopback) for something the loader does by itself.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTimeOffset deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "The key loader did not get there within 60 s.");
            await Task.Delay(50);
        }
    }

    /// <summary>Moves the loader's clock past its next wait (retry or refresh) until the condition holds.</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition)
    {
        DateTimeOffset deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "The key loader did not get there within 60 s.");
            _time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(100);
        }
    }
}
