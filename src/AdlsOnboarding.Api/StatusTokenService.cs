using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Api;

/// <summary>
/// Signs and checks the short-lived, read-only token in a status URL. A token is valid for one instance until its
/// expiry: <c>{expiry unix seconds}.{base64url HMAC-SHA256("status|{instanceId}|{expiry}")}</c>, signed with the
/// current key and accepted under any key in force (a key rotation does not break URLs in flight).
/// </summary>
public sealed class StatusTokenService(IStatusTokenKeys keys, IOptions<ApiOptions> options, TimeProvider time)
{
    /// <summary>With the one key of <c>Api:StatusTokenKey</c>.</summary>
    public StatusTokenService(IOptions<ApiOptions> options, TimeProvider time)
        : this(new ConfiguredStatusTokenKeys(options), options, time)
    {
    }

    /// <summary>False while the keys cannot be read yet: then nothing may be started, since no status URL can be given.</summary>
    public bool IsReady => keys.Current is not null;

    public string Issue(string instanceId)
    {
        StatusTokenKeySet current = keys.Current ?? throw new InvalidOperationException("The status-token key is not loaded yet; check IsReady first.");
        long expiry = (time.GetUtcNow() + options.Value.StatusTokenLifetime).ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture, $"{expiry}.{Sign(current.SigningKey, instanceId, expiry)}");
    }

    public bool IsValid(string instanceId, string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 128 || keys.Current is not { } current)
        {
            return false;
        }

        int dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !long.TryParse(token.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out long expiry))
        {
            return false;
        }

        byte[] actual = Encoding.ASCII.GetBytes(token[(dot + 1)..]);
        bool signed = false;
        foreach (byte[] key in current.VerificationKeys)
        {
            // Every key is tried, so the time taken does not tell which one matched.
            signed |= CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(key, instanceId, expiry)), actual);
        }

        return signed && time.GetUtcNow().ToUnixTimeSeconds() < expiry;
    }

    private static string Sign(byte[] key, string instanceId, long expiry)
    {
        byte[] mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"status|{instanceId}|{expiry}")));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
