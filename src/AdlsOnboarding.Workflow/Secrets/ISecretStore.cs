namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// Where the service principal keys and the IMS client secret live: Key Vault in Azure, local configuration on a
/// developer's machine. Failures are <see cref="SecretStoreException"/>s with a code from <see cref="SecretErrorCodes"/>.
/// </summary>
public interface ISecretStore
{
    /// <summary>
    /// Checks that the secret can be used now (exists, enabled, valid, not expired) and returns its version id,
    /// never its value. With <paramref name="version"/> null, the current version.
    /// </summary>
    Task<SecretVersionInfo> ResolveVersionAsync(string name, string? version, CancellationToken cancellationToken = default);

    /// <summary>Reads the value of one exact version.</summary>
    Task<SensitiveString> GetValueAsync(string name, string version, CancellationToken cancellationToken = default);
}

/// <summary>A secret version's id and expiry: no value.</summary>
public sealed record SecretVersionInfo(string Name, string Version, DateTimeOffset? ExpiresOn);

/// <summary>Codes of secret failures, stored in the account record as the error code.</summary>
public static class SecretErrorCodes
{
    public const string NotFound = "SecretNotFound";
    public const string Disabled = "SecretDisabled";
    public const string Expired = "SecretExpired";
    public const string NotYetValid = "SecretNotYetValid";
    public const string AccessDenied = "SecretAccessDenied";
    public const string Unavailable = "SecretStoreUnavailable";
}
