namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// Where secrets live: Key Vault in Azure, local configuration on a developer's machine. This is the raw store: it
/// reads whatever it is asked for. Service principal keys are read only through <see cref="ServicePrincipalKeys"/>,
/// which checks each version's tags first. Failures are <see cref="SecretStoreException"/>s with a code from
/// <see cref="SecretErrorCodes"/>.
/// </summary>
public interface ISecretStore
{
    /// <summary>
    /// Checks that the secret can be used now (exists, enabled, valid, not expired) and returns its version id,
    /// never its value. With <paramref name="version"/> null, the current version. Key Vault has no read of one
    /// version's properties without its value: this read fetches the value and drops it.
    /// </summary>
    Task<SecretVersionInfo> ResolveVersionAsync(string name, string? version, CancellationToken cancellationToken = default);

    /// <summary>Every version's properties and tags, never a value (Key Vault: the versions list, all its pages).</summary>
    Task<IReadOnlyList<SecretVersionProperties>> GetVersionsAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Reads the value of one exact version.</summary>
    Task<SensitiveString> GetValueAsync(string name, string version, CancellationToken cancellationToken = default);
}

/// <summary>
/// A secret version's id, expiry and (where the store knows it) when it was stored: no value. The pre-flight's grace
/// period for a new client secret is measured from <paramref name="CreatedOn"/>.
/// </summary>
public sealed record SecretVersionInfo(string Name, string Version, DateTimeOffset? ExpiresOn, DateTimeOffset? CreatedOn = null);

/// <summary>What the store says about one version without reading its value: its state and its tags.</summary>
public sealed record SecretVersionProperties(
    string Version,
    bool Enabled,
    DateTimeOffset? CreatedOn,
    DateTimeOffset? ExpiresOn,
    DateTimeOffset? NotBefore,
    IReadOnlyDictionary<string, string> Tags);

/// <summary>Codes of secret failures, stored in the account record as the error code.</summary>
public static class SecretErrorCodes
{
    /// <summary>
    /// The one answer a caller gets for a service principal key that does not exist, that the app may not read, or
    /// whose tags do not bind it to the request's service principal and account. Which of these it was goes to logs.
    /// </summary>
    public const string Unavailable = "SecretUnavailable";

    public const string Disabled = "SecretDisabled";
    public const string Expired = "SecretExpired";
    public const string NotYetValid = "SecretNotYetValid";

    /// <summary>Key Vault did not answer (throttled, down, unreachable): worth retrying.</summary>
    public const string StoreUnavailable = "SecretStoreUnavailable";

    // The raw store's own codes; towards a caller, ServicePrincipalKeys turns them into Unavailable.
    public const string NotFound = "SecretNotFound";
    public const string AccessDenied = "SecretAccessDenied";
    public const string TooManyVersions = "SecretTooManyVersions";
}
