using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// The only way to a service principal key. A request names a secret, but the caller holds a shared function key, so
/// the name proves nothing: a version is used only if its tags bind it to the request's service principal and account
/// (<see cref="SecretBindingTags"/>). The tags are read from the versions list, which carries no values, and a value
/// is read only for a version that passed. Towards the caller, "does not exist", "the app may not read it" and "not
/// bound" are one answer, <see cref="SecretErrorCodes.Unavailable"/>; which one it was is logged. A bound version
/// that is disabled, expired or not yet valid says so.
/// </summary>
public sealed class ServicePrincipalKeys(ISecretStore store, TimeProvider time, ILogger<ServicePrincipalKeys> logger)
{
    /// <summary>The fixed text of <see cref="SecretErrorCodes.Unavailable"/>, whatever the reason.</summary>
    public const string UnavailableMessage =
        "The secret cannot be used for this request: it does not exist, the app may not read it, or its tags do not bind it to this service principal and account.";

    /// <summary>
    /// The version to use (<paramref name="version"/>, or the current one) if it is bound to <paramref name="binding"/>
    /// and usable now; its id and expiry, never its value.
    /// </summary>
    public async Task<SecretVersionInfo> ResolveAsync(string name, string? version, SecretBinding binding, CancellationToken cancellationToken = default) =>
        await ResolveAsync(await ListAsync(name, binding, cancellationToken).ConfigureAwait(false), version, binding, cancellationToken).ConfigureAwait(false);

    /// <summary>Reads a secret's versions once, to resolve it for several bindings (the registry sweep).</summary>
    public Task<SecretVersions> ListAsync(string name, CancellationToken cancellationToken = default) => ListAsync(name, binding: null, cancellationToken);

    /// <inheritdoc cref="ResolveAsync(string, string?, SecretBinding, CancellationToken)"/>
    public async Task<SecretVersionInfo> ResolveAsync(SecretVersions versions, string? version, SecretBinding binding, CancellationToken cancellationToken = default)
    {
        SecretVersionProperties target;
        if (version is not null)
        {
            target = versions.Find(version) ?? throw Unavailable(versions.Name, binding, $"it has no version {version}");
            RequireBound(versions.Name, target, binding);
        }
        else
        {
            IReadOnlyList<SecretVersionProperties> newest = versions.Newest();
            if (newest.Count == 0)
            {
                throw Unavailable(versions.Name, binding, "it has no versions");
            }

            foreach (SecretVersionProperties candidate in newest)
            {
                RequireBound(versions.Name, candidate, binding);
            }

            target = newest.Count == 1 ? newest[0] : await CurrentOfAsync(versions, newest, cancellationToken).ConfigureAwait(false);
        }

        RequireUsable(versions.Name, target);
        return new SecretVersionInfo(versions.Name, target.Version, target.ExpiresOn, target.CreatedOn);
    }

    /// <summary>The value of exactly <paramref name="version"/>, after its tags have been checked again.</summary>
    public async Task<SensitiveString> GetValueAsync(string name, string version, SecretBinding binding, CancellationToken cancellationToken = default) =>
        (await GetKeyAsync(name, version, binding, cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>
    /// The value of exactly <paramref name="version"/>, after its tags have been checked again, with when that version
    /// was stored (the pre-flight's grace period for a new client secret starts there).
    /// </summary>
    public async Task<ServicePrincipalKey> GetKeyAsync(string name, string version, SecretBinding binding, CancellationToken cancellationToken = default)
    {
        SecretVersions versions = await ListAsync(name, binding, cancellationToken).ConfigureAwait(false);
        SecretVersionProperties target = versions.Find(version) ?? throw Unavailable(name, binding, $"it has no version {version}");
        RequireBound(name, target, binding);
        RequireUsable(name, target);
        try
        {
            return new ServicePrincipalKey(target.Version, await store.GetValueAsync(name, target.Version, cancellationToken).ConfigureAwait(false), target.CreatedOn);
        }
        catch (SecretStoreException ex) when (IsUnavailable(ex.Code))
        {
            throw Unavailable(name, binding, ex.Detail);
        }
    }

    private async Task<SecretVersions> ListAsync(string name, SecretBinding? binding, CancellationToken cancellationToken)
    {
        try
        {
            return new SecretVersions(name, await store.GetVersionsAsync(name, cancellationToken).ConfigureAwait(false));
        }
        catch (SecretStoreException ex) when (IsUnavailable(ex.Code))
        {
            throw Unavailable(name, binding, ex.Detail);
        }
    }

    /// <summary>
    /// Key Vault's current version is the newest, but creation times are whole seconds: when several versions share
    /// the newest second (all of them bound, checked before), the vault itself says which one is current.
    /// </summary>
    private async Task<SecretVersionProperties> CurrentOfAsync(SecretVersions versions, IReadOnlyList<SecretVersionProperties> newest, CancellationToken cancellationToken)
    {
        if (versions.CurrentFromVault is null)
        {
            try
            {
                versions.CurrentFromVault = (await store.ResolveVersionAsync(versions.Name, null, cancellationToken).ConfigureAwait(false)).Version;
            }
            catch (SecretStoreException ex) when (IsUnavailable(ex.Code))
            {
                throw Unavailable(versions.Name, binding: null, ex.Detail);
            }
        }

        return newest.FirstOrDefault(v => string.Equals(v.Version, versions.CurrentFromVault, StringComparison.OrdinalIgnoreCase))
            ?? throw new SecretStoreException(SecretErrorCodes.StoreUnavailable, $"Secret '{versions.Name}' got a new version while it was read; reading it again.", isTransient: true);
    }

    private void RequireBound(string name, SecretVersionProperties version, SecretBinding binding)
    {
        if (!SecretBindingTags.Binds(version.Tags, binding, out string reason))
        {
            throw Unavailable(name, binding, $"version {version.Version} is not bound: {reason}");
        }
    }

    private void RequireUsable(string name, SecretVersionProperties version)
    {
        DateTimeOffset now = time.GetUtcNow();
        if (!version.Enabled)
        {
            throw SecretStoreException.Unusable(SecretErrorCodes.Disabled, name, $"version {version.Version} is disabled");
        }

        // Key Vault serves an expired secret: the expiry must be checked here.
        if (version.ExpiresOn is { } expires && expires <= now)
        {
            throw SecretStoreException.Unusable(SecretErrorCodes.Expired, name, $"version {version.Version} expired at {expires:O}");
        }

        if (version.NotBefore is { } notBefore && notBefore > now)
        {
            // Not retried now (a permanent failure), but not before nbf either: the wait is the time it becomes valid.
            throw SecretStoreException.Unusable(SecretErrorCodes.NotYetValid, name, $"version {version.Version} is not valid before {notBefore:O}", notBefore - now);
        }
    }

    private SecretStoreException Unavailable(string name, SecretBinding? binding, string reason)
    {
        Logs.SecretUnavailable(logger, name, binding?.ClientId, binding?.Tenant, binding?.AccountName, reason);
        return new SecretStoreException(SecretErrorCodes.Unavailable, UnavailableMessage, isTransient: false);
    }

    private static bool IsUnavailable(string code) => code is SecretErrorCodes.NotFound or SecretErrorCodes.AccessDenied or SecretErrorCodes.TooManyVersions;
}

/// <summary>A service principal key as read for sending: its version, its value and when that version was stored.</summary>
public sealed record ServicePrincipalKey(string Version, SensitiveString Value, DateTimeOffset? CreatedOn);

/// <summary>A secret's versions as one read of the store found them (properties and tags, no values).</summary>
public sealed class SecretVersions(string name, IReadOnlyList<SecretVersionProperties> all)
{
    public string Name { get; } = name;

    public IReadOnlyList<SecretVersionProperties> All { get; } = all;

    /// <summary>The current version as the vault named it, once a tie had to be broken (kept for the next binding).</summary>
    internal string? CurrentFromVault { get; set; }

    public SecretVersionProperties? Find(string version) =>
        All.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));

    /// <summary>The versions created last (Key Vault lists them in no useful order); more than one only on a tie.</summary>
    public IReadOnlyList<SecretVersionProperties> Newest()
    {
        if (All.Count == 0)
        {
            return [];
        }

        DateTimeOffset newest = All.Max(v => v.CreatedOn ?? DateTimeOffset.MinValue);
        return [.. All.Where(v => (v.CreatedOn ?? DateTimeOffset.MinValue) == newest)];
    }
}
