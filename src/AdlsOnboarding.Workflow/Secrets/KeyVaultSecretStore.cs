using Azure;
using Azure.Security.KeyVault.Secrets;

namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>Reads secrets from Azure Key Vault with the app's identity.</summary>
public sealed class KeyVaultSecretStore(SecretClient client, TimeProvider time) : ISecretStore
{
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

        return new SecretVersionInfo(name, properties.Version, properties.ExpiresOn);
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
        using System.Diagnostics.Activity? span = Telemetry.WorkflowTelemetry.Source.StartActivity("KeyVault GetSecret", System.Diagnostics.ActivityKind.Client);
        span?.SetTag("adls.secret_name", name);
        try
        {
            Response<KeyVaultSecret> response = await client.GetSecretAsync(name, version, cancellationToken).ConfigureAwait(false);
            return response.Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw SecretStoreException.Unusable(SecretErrorCodes.NotFound, name, version is null ? "does not exist" : $"has no version {version}");
        }
        catch (RequestFailedException ex) when (ex.Status == 403 && ex.ErrorCode == "Forbidden" && ex.Message.Contains("disabled", StringComparison.OrdinalIgnoreCase))
        {
            throw SecretStoreException.Unusable(SecretErrorCodes.Disabled, name, "is disabled");
        }
        catch (RequestFailedException ex) when (ex.Status is 401 or 403)
        {
            throw SecretStoreException.Unusable(SecretErrorCodes.AccessDenied, name, $"cannot be read by the app's identity ({ex.Status} {ex.ErrorCode})");
        }
        catch (RequestFailedException ex)
        {
            // 429, 5xx and transport failures (status 0) after the client's own retries.
            TimeSpan? retryAfter = RetryAfterOf(ex);
            throw new SecretStoreException(SecretErrorCodes.Unavailable, $"Key Vault did not answer for secret '{name}' ({ex.Status} {ex.ErrorCode})", isTransient: true, retryAfter);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SecretStoreException(SecretErrorCodes.Unavailable, $"Key Vault timed out for secret '{name}'", isTransient: true);
        }
    }

    private static TimeSpan? RetryAfterOf(RequestFailedException ex)
    {
        Response? response = ex.GetRawResponse();
        if (response is not null && response.Headers.TryGetValue("Retry-After", out string? value)
            && int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return null;
    }
}
