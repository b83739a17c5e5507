using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.KeyVault;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Secrets;
using Azure.Security.KeyVault.Secrets;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>The real <see cref="SecretClient"/> against the Key Vault stand-in over https, through our store.</summary>
public sealed class KeyVaultSecretStoreTests : IAsyncLifetime
{
    private RunningSimulator<KeyVaultStubState> _vault = null!;
    private KeyVaultSecretStore _store = null!;

    public async Task InitializeAsync()
    {
        _vault = await SimulatorHost.StartKeyVaultAsync();
        _vault.State.AcceptedToken = "vault-token";
        SecretClientOptions options = new() { Retry = { MaxRetries = 0 } };
        WorkflowHarness.TrustStub(options, _vault);
        _store = new KeyVaultSecretStore(new SecretClient(_vault.BaseAddress, new StaticTokenCredential("vault-token"), options), TimeProvider.System);
    }

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    [Fact]
    public async Task ResolveVersion_CurrentSecret_ReturnsNewestVersionAfterBearerChallenge()
    {
        _vault.State.SetSecret("sp", "old");
        string current = _vault.State.SetSecret("sp", "new", expiresOn: DateTimeOffset.UtcNow.AddDays(30));

        SecretVersionInfo info = await _store.ResolveVersionAsync("sp", null);

        Assert.Equal(current, info.Version);
        Assert.NotNull(info.ExpiresOn);
        Assert.Equal([false, true], _vault.State.Calls.Select(c => c.HadToken));
        Assert.Equal([401, 200], _vault.State.Calls.Select(c => c.Status));
    }

    [Fact]
    public async Task GetValue_ExactVersion_ReturnsThatVersionsValue()
    {
        string old = _vault.State.SetSecret("sp", "old-value");
        _vault.State.SetSecret("sp", "new-value");

        SensitiveString value = await _store.GetValueAsync("sp", old);

        Assert.Equal("old-value", value.Reveal());
        Assert.Equal("[redacted]", value.ToString());
    }

    [Fact]
    public async Task ResolveVersion_Expired_PermanentSecretExpired()
    {
        _vault.State.SetSecret("sp", "v", expiresOn: DateTimeOffset.UtcNow.AddMinutes(-1));

        SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => _store.ResolveVersionAsync("sp", null));

        Assert.Equal(SecretErrorCodes.Expired, ex.Code);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task ResolveVersion_NotYetValid_PermanentSecretNotYetValid()
    {
        _vault.State.SetSecret("sp", "v", notBefore: DateTimeOffset.UtcNow.AddDays(1));

        SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => _store.ResolveVersionAsync("sp", null));

        Assert.Equal(SecretErrorCodes.NotYetValid, ex.Code);
    }

    [Fact]
    public async Task ResolveVersion_Disabled_PermanentSecretDisabled()
    {
        _vault.State.SetSecret("sp", "v", enabled: false);

        SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => _store.ResolveVersionAsync("sp", null));

        Assert.Equal(SecretErrorCodes.Disabled, ex.Code);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task ResolveVersion_Missing_PermanentSecretNotFound()
    {
        SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => _store.ResolveVersionAsync("nothing-here", null));

        Assert.Equal(SecretErrorCodes.NotFound, ex.Code);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task ResolveVersion_Throttled_TransientWithRetryAfter()
    {
        _vault.State.SetSecret("sp", "v");
        _vault.State.EnqueueFault(429, retryAfterSeconds: 9);

        SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => _store.ResolveVersionAsync("sp", null));

        Assert.Equal(SecretErrorCodes.StoreUnavailable, ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(9), ex.RetryAfter);
    }

    [Fact]
    public async Task ResolveVersion_Failures_NeverCarryTheValue()
    {
        _vault.State.SetSecret("sp", "super-secret-value", expiresOn: DateTimeOffset.UtcNow.AddMinutes(-1));

        SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => _store.ResolveVersionAsync("sp", null));

        Assert.DoesNotContain("super-secret-value", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetVersions_ThirtyVersions_FollowsNextLinkAndReturnsTagsWithoutValues()
    {
        for (int i = 0; i < 30; i++)
        {
            _vault.State.SetSecret("sp", $"value-{i}", tags: i == 7 ? new Dictionary<string, string> { ["adls-onboarding-client-id"] = "11111111-2222-3333-4444-555555555555" } : null);
        }

        IReadOnlyList<SecretVersionProperties> versions = await _store.GetVersionsAsync("sp");

        Assert.Equal(30, versions.Count);
        Assert.Equal(30, versions.Select(v => v.Version).Distinct().Count());
        SecretVersionProperties tagged = Assert.Single(versions, v => v.Tags.Count > 0);
        Assert.Equal(_vault.State.Versions("sp").Single(v => v.Tags.Count > 0).Version, tagged.Version);
        Assert.Equal("11111111-2222-3333-4444-555555555555", tagged.Tags["adls-onboarding-client-id"]);
        Assert.All(versions, v => Assert.NotNull(v.CreatedOn));

        // Two pages of at most 25, after the bearer challenge; never a value.
        Assert.Equal([401, 200, 200], _vault.State.Calls.Select(c => c.Status));
        Assert.All(_vault.State.Calls, c => Assert.Equal("/secrets/sp/versions", c.Path));
    }

    [Fact]
    public async Task GetVersions_SecretScopedRoleLeavesTheAppOut_PermanentAccessDenied()
    {
        _vault.State.SetSecret("locked", "v");
        _vault.State.Forbid("locked");

        SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => _store.GetVersionsAsync("locked"));

        Assert.Equal(SecretErrorCodes.AccessDenied, ex.Code);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task GetVersions_Missing_PermanentNotFound()
    {
        SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => _store.GetVersionsAsync("nothing-here"));

        Assert.Equal(SecretErrorCodes.NotFound, ex.Code);
    }
}
