using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Api;

/// <summary>
/// Signs and checks the short-lived, read-only token in a status URL. A token is valid for one instance until its
/// expiry: <c>{expiry unix seconds}.{base64url HMAC-SHA256("status|{instanceId}|{expiry}")}</c>.
/// </summary>
public sealed class StatusTokenService(IOptions<ApiOptions> options, TimeProvider time)
{
    private byte[] Key => Convert.FromBase64String(options.Value.StatusTokenKey);

    public string Issue(string instanceId)
    {
        long expiry = (time.GetUtcNow() + options.Value.StatusTokenLifetime).ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture, $"{expiry}.{Sign(instanceId, expiry)}");
    }

    public bool IsValid(string instanceId, string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 128)
        {
            return false;
        }

        int dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !long.TryParse(token.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out long expiry))
        {
            return false;
        }

        byte[] expected = Encoding.ASCII.GetBytes(Sign(instanceId, expiry));
        byte[] actual = Encoding.ASCII.GetBytes(token[(dot + 1)..]);
        return CryptographicOperations.FixedTimeEquals(expected, actual) && time.GetUtcNow().ToUnixTimeSeconds() < expiry;
    }

    private string Sign(string instanceId, long expiry)
    {
        byte[] mac = HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"status|{instanceId}|{expiry}")));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
