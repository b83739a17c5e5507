using System.Diagnostics;
using System.Globalization;
using AdlsOnboarding.Workflow.Telemetry;
using Azure;
using Azure.Security.KeyVault.Secrets;

namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>Reads secrets from Azure Key Vault with the app's identity.</summary>
public sealed class KeyVaultSecretStore(SecretClient client, TimeProvider time) : ISecretStore
{
    /// <summary>
    /// Key Vault lists at most 25 versions per page (one billed operation each) and in no useful order, so the whole
    /// list is read; a secret with more versions than this is refused rather than paged through for ever.
    /// </summary>
    public const int MaxVersionPages = 40;

    public async Task<SecretVersionInfo> ResolveVersionAsync(string name, string? version, CancellationToken cancellationToken = default)
    {
        // Key Vault has no "properties only" read of one version; the value is fetched and dropped here.
        KeyVaultSecret secret = await GetAsync(name, version, cancellationToken).ConfigureAwait(false);
        SecretProperties properties = secret.Properties;
        DateTimeOffset now = time.GetUtcNow();

        if (properties.Enabled == false)
        {
            throw SecretStoreException.Unusable(SecretErrorCodes.Disabled, name, "is disabled");
        }

        // Key Vault answers 200 for an expired secret: the expiry must be checked here.
        if (properties.ExpiresOn is { } expires && expires <= now)
        {
            throw SecretStoreException.Unusable(SecretErrorCodes.Expired, name, $"expired at {expires:O}");
        }

        if (properties.NotBefore is { } notBefore && notBefore > now)
        {
            throw SecretStoreException.Unusable(SecretErrorCodes.NotYetValid, name, $"is not valid before {notBefore:O}");
        }

        return new SecretVersionInfo(name, properties.Version, properties.ExpiresOn, properties.CreatedOn);
    }

    public async Task<IReadOnlyList<SecretVersionProperties>> GetVersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        using Activity? span = WorkflowTelemetry.Source.StartActivity("KeyVault ListSecretVersions", ActivityKind.Client);
        span?.SetTag("adls.secret_name", name);
        List<SecretVersionProperties> versions = [];
        int pages = 0;
        try
        {
            // GET /secrets/{name}/versions: ids, attributes and tags, never values (permission secrets/readMetadata).
            await foreach (Page<SecretProperties> page in client.GetPropertiesOfSecretVersionsAsync(name, cancellationToken).AsPages().ConfigureAwait(false))
            {
                if (++pages > MaxVersionPages)
                {
                    throw SecretStoreException.Unusable(SecretErrorCodes.TooManyVersions, name, $"has more than {MaxVersionPages} pages of versions");
                }

                versions.AddRange(page.Values.Select(p => new SecretVersionProperties(
                    p.Version, p.Enabled != false, p.CreatedOn, p.ExpiresOn, p.NotBefore, new Dictionary<string, string>(p.Tags))));
            }
        }
        catch (RequestFailedException ex)
        {
            throw Classify(ex, name, version: null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SecretStoreException(SecretErrorCodes.StoreUnavailable, $"Key Vault timed out listing the versions of secret '{name}'", isTransient: true);
        }

        span?.SetTag("adls.secret_versions", versions.Count);
        return versions;
    }

    public async Task<SensitiveString> GetValueAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        KeyVaultSecret secret = await GetAsync(name, version, cancellationToken).ConfigureAwait(false);
        if (secret.Properties.Enabled == false)
        {
            throw SecretStoreException.Unusable(SecretErrorCodes.Disabled, name, "is disabled");
        }

        return new SensitiveString(secret.Value);
    }

    private async Task<KeyVaultSecret> GetAsync(string name, string? version, CancellationToken cancellationToken)
    {
        using Activity? span = WorkflowTelemetry.Source.StartActivity("KeyVault GetSecret", ActivityKind.Client);
        span?.SetTag("adls.secret_name", name);
        try
        {
            Response<KeyVaultSecret> response = await client.GetSecretAsync(name, version, cancellationToken).ConfigureAwait(false);
            return response.Value;
        }
        catch (RequestFailedException ex)
        {
            throw Classify(ex, name, version);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SecretStoreException(SecretErrorCodes.StoreUnavailable, $"Key Vault timed out for secret '{name}'", isTransient: true);
        }
    }

    private static SecretStoreException Classify(RequestFailedException ex, string name, string? version) => ex switch
    {
        { Status: 404 } => SecretStoreException.Unusable(SecretErrorCodes.NotFound, name, version is null ? "does not exist" : $"has no version {version}"),
        { Status: 403, ErrorCode: "Forbidden" } when ex.Message.Contains("disabled", StringComparison.OrdinalIgnoreCase) =>
            SecretStoreException.Unusable(SecretErrorCodes.Disabled, name, "is disabled"),
        { Status: 401 or 403 } => SecretStoreException.Unusable(SecretErrorCodes.AccessDenied, name, $"cannot be read by the app's identity ({ex.Status} {ex.ErrorCode})"),

        // 429, 5xx and transport failures (status 0) after the client's own retries.
        _ => new SecretStoreException(SecretErrorCodes.StoreUnavailable, $"Key Vault did not answer for secret '{name}' ({ex.Status} {ex.ErrorCode})", isTransient: true, RetryAfterOf(ex)),
    };

    private static TimeSpan? RetryAfterOf(RequestFailedException ex)
    {
        Response? response = ex.GetRawResponse();
        if (response is not null && response.Headers.TryGetValue("Retry-After", out string? value)
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return null;
    }
}
