using AdlsOnboarding.Workflow.Secrets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Tests.Unit;

public sealed class LocalSecretStoreTests
{
    private sealed class Monitor(SecretStoreOptions value) : IOptionsMonitor<SecretStoreOptions>
    {
        public SecretStoreOptions CurrentValue => value;

        public SecretStoreOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<SecretStoreOptions, string?> listener) => null;
    }

    [Fact]
    public async Task ResolveVersion_LocalSecret_VersionIsAHashShapedLikeKeyVaults()
    {
        SecretStoreOptions options = new() { Local = { ["sp-key"] = "value-1" } };
        LocalSecretStore store = new(new Monitor(options));

        SecretVersionInfo first = await store.ResolveVersionAsync("SP-KEY", null);
        options.Local["sp-key"] = "value-2";
        SecretVersionInfo second = await store.ResolveVersionAsync("sp-key", null);

        Assert.Matches("^[0-9a-f]{32}$", first.Version);
        Assert.NotEqual(first.Version, second.Version);
        Assert.Equal("value-2", (await store.GetValueAsync("sp-key", second.Version)).Reveal());
        SecretStoreException changed = await Assert.ThrowsAsync<SecretStoreException>(() => store.GetValueAsync("sp-key", first.Version));
        Assert.Equal(SecretErrorCodes.NotFound, changed.Code);
    }

    [Fact]
    public async Task ResolveVersion_Missing_PermanentNotFound()
    {
        LocalSecretStore store = new(new Monitor(new SecretStoreOptions()));

        SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => store.ResolveVersionAsync("absent", null));

        Assert.Equal(SecretErrorCodes.NotFound, ex.Code);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task ServicePrincipalKeys_LocalSecretTaggedInConfiguration_BoundLikeKeyVault()
    {
        SecretStoreOptions options = new()
        {
            Local = { ["sp-key"] = "the-key", ["untagged-key"] = "other-key" },
            LocalTags = { ["SP-KEY"] = SecretBindingTags.For("11111111-2222-3333-4444-555555555555", "contoso.onmicrosoft.com", "acct1") },
        };
        ServicePrincipalKeys keys = new(new LocalSecretStore(new Monitor(options)), TimeProvider.System, NullLogger<ServicePrincipalKeys>.Instance);
        SecretBinding bound = new("11111111-2222-3333-4444-555555555555", "contoso.onmicrosoft.com", "acct1");

        SecretVersionInfo version = await keys.ResolveAsync("sp-key", null, bound);

        Assert.Equal("the-key", (await keys.GetValueAsync("sp-key", version.Version, bound)).Reveal());
        foreach ((string name, SecretBinding binding) in new[] { ("sp-key", bound with { AccountName = "acct2" }), ("untagged-key", bound), ("absent", bound) })
        {
            SecretStoreException ex = await Assert.ThrowsAsync<SecretStoreException>(() => keys.ResolveAsync(name, null, binding));
            Assert.Equal(SecretErrorCodes.Unavailable, ex.Code);
            Assert.Equal(ServicePrincipalKeys.UnavailableMessage, ex.Detail);
        }
    }
}
