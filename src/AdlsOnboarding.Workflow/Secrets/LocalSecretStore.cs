using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// Secrets from local configuration, for runs without Key Vault. A version is a hash of the value, shaped like a
/// Key Vault version (32 hex characters), so a changed value is a new version, as in Key Vault. Tags come from
/// <c>Secrets:LocalTags:&lt;name&gt;</c>, so that a local run binds keys to service principals as Key Vault does.
/// </summary>
public sealed class LocalSecretStore(IOptionsMonitor<SecretStoreOptions> options) : ISecretStore
{
    public Task<SecretVersionInfo> ResolveVersionAsync(string name, string? version, CancellationToken cancellationToken = default)
    {
        string value = Read(name);
        string current = VersionOf(value);
        if (version is not null && !string.Equals(version, current, StringComparison.OrdinalIgnoreCase))
        {
            throw new SecretStoreException(SecretErrorCodes.NotFound, $"Secret '{name}' has no version {version} in local secrets.", isTransient: false);
        }

        return Task.FromResult(new SecretVersionInfo(name, current, ExpiresOn: null));
    }

    public Task<IReadOnlyList<SecretVersionProperties>> GetVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        string value = Read(name);
        Dictionary<string, string> tags = options.CurrentValue.LocalTags
            .Where(t => string.Equals(t.Key, name, StringComparison.OrdinalIgnoreCase))
            .Select(t => t.Value)
            .FirstOrDefault() ?? [];
        return Task.FromResult<IReadOnlyList<SecretVersionProperties>>(
            [new SecretVersionProperties(VersionOf(value), Enabled: true, CreatedOn: null, ExpiresOn: null, NotBefore: null, tags)]);
    }

    public Task<SensitiveString> GetValueAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        string value = Read(name);
        if (!string.Equals(VersionOf(value), version, StringComparison.OrdinalIgnoreCase))
        {
            throw new SecretStoreException(SecretErrorCodes.NotFound, $"Secret '{name}' changed in local secrets since version {version} was resolved.", isTransient: false);
        }

        return Task.FromResult(new SensitiveString(value));
    }

    public static string VersionOf(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];

    private string Read(string name)
    {
        // Configuration keys are case-insensitive, as Key Vault secret names are.
        foreach ((string key, string value) in options.CurrentValue.Local)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(value))
            {
                return value;
            }
        }

        throw new SecretStoreException(SecretErrorCodes.NotFound, $"Secret '{name}' is not in local secrets (Secrets:Local:{name}).", isTransient: false);
    }
}
