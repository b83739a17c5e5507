using AdlsOnboarding.Workflow.Secrets;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Api;

/// <summary>
/// The status-token key read with the SDK from the app's vault (<c>Api:StatusTokenKeySecretName</c>), not through a
/// Key Vault reference, which holds one version and is refreshed about daily. Every
/// <c>Api:StatusTokenKeyRefreshInterval</c> the enabled versions are listed and new ones read, so that a deliberate
/// rotation does not break status URLs in flight:
/// <list type="bullet">
/// <item>URLs are checked against the newest two enabled versions (and the signing one);</item>
/// <item>a new version signs only once it is two refresh intervals old: every instance of the app has loaded it by
/// then (one failed refresh included), so no instance is handed a URL it cannot check.</item>
/// </list>
/// Until the key can be read (the role assignment is not effective yet, the secret is not created yet) the keys are
/// not ready: the API answers 503 and the load is retried with a growing delay, the host keeps running.
/// </summary>
public sealed class KeyVaultStatusTokenKeys(
    [FromKeyedServices(AppSecrets.Key)] SecretClient vault,
    IOptions<ApiOptions> options,
    TimeProvider time,
    ILogger<KeyVaultStatusTokenKeys> logger) : IStatusTokenKeys
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    // Versions never change once written: each is read once.
    private readonly Dictionary<string, byte[]?> _values = new(StringComparer.OrdinalIgnoreCase);
    private volatile StatusTokenKeySet? _current;

    public StatusTokenKeySet? Current => _current;

    public async Task KeepLoadedAsync(CancellationToken cancellationToken)
    {
        TimeSpan retryDelay = FirstRetryDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                _current = await LoadAsync(cancellationToken).ConfigureAwait(false);
                retryDelay = FirstRetryDelay;
                wait = options.Value.StatusTokenKeyRefreshInterval;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Kept: the keys already loaded. Not ready yet: the API answers 503 meanwhile.
                Logs.StatusTokenKeyUnavailable(logger, options.Value.StatusTokenKeySecretName!, _current is not null, Describe(ex), retryDelay.TotalSeconds);
                wait = retryDelay;
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }

            try
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<StatusTokenKeySet> LoadAsync(CancellationToken cancellationToken)
    {
        string name = options.Value.StatusTokenKeySecretName!;
        DateTimeOffset now = time.GetUtcNow();
        List<SecretProperties> enabled = [];
        await foreach (SecretProperties version in vault.GetPropertiesOfSecretVersionsAsync(name, cancellationToken).ConfigureAwait(false))
        {
            if (version.Enabled == true && (version.NotBefore is null || version.NotBefore <= now) && (version.ExpiresOn is null || version.ExpiresOn > now))
            {
                enabled.Add(version);
            }
        }

        List<(SecretProperties Properties, byte[] Key)> usable = [];
        foreach (SecretProperties version in enabled.OrderByDescending(v => v.CreatedOn))
        {
            if (await ReadAsync(version, cancellationToken).ConfigureAwait(false) is { } key)
            {
                usable.Add((version, key));
            }
        }

        if (usable.Count == 0)
        {
            throw new InvalidOperationException($"secret '{name}' has no enabled version holding a base64 key of at least 32 bytes");
        }

        // The newest version old enough for every instance to have loaded it; else (all are new) the oldest one.
        DateTimeOffset settled = now - (2 * options.Value.StatusTokenKeyRefreshInterval);
        (SecretProperties Properties, byte[] Key) signing = usable.FirstOrDefault(v => v.Properties.CreatedOn <= settled);
        if (signing.Key is null)
        {
            signing = usable[^1];
        }

        List<byte[]> verifying = [.. usable.Take(2).Select(v => v.Key)];
        if (!verifying.Contains(signing.Key))
        {
            verifying.Add(signing.Key);
        }

        if (_current is null || !ReferenceEquals(_current.SigningKey, signing.Key) || _current.VerificationKeys.Count != verifying.Count)
        {
            Logs.StatusTokenKeysLoaded(logger, name, signing.Properties.Version, verifying.Count);
        }

        return new StatusTokenKeySet(signing.Key, verifying);
    }

    private async Task<byte[]?> ReadAsync(SecretProperties version, CancellationToken cancellationToken)
    {
        if (_values.TryGetValue(version.Version, out byte[]? known))
        {
            return known;
        }

        Response<KeyVaultSecret> secret = await vault.GetSecretAsync(version.Name, version.Version, cancellationToken).ConfigureAwait(false);
        byte[]? key = null;
        try
        {
            key = Convert.FromBase64String(secret.Value.Value);
        }
        catch (FormatException)
        {
        }

        if (key is null || key.Length < 32)
        {
            // Skipped, never used: a bad version must not stop the others from working.
            Logs.StatusTokenKeyVersionRejected(logger, version.Name, version.Version);
            key = null;
        }

        _values[version.Version] = key;
        return key;
    }

    private static string Describe(Exception ex) => ex switch
    {
        RequestFailedException failed => $"Key Vault answered {failed.Status} {failed.ErrorCode}",
        _ => ex.Message,
    };
}
