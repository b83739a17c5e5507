using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Api;

/// <summary>Settings of the HTTP API (configuration section <c>Api</c>).</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>HMAC-SHA256 key that signs status URLs: base64, at least 32 bytes. In Azure, a Key Vault reference.</summary>
    [Required(AllowEmptyStrings = false)]
    public string StatusTokenKey { get; set; } = "";

    /// <summary>
    /// The Key Vault secret that holds the status-token key, where the key is kept in a vault (unset: the key is
    /// <see cref="StatusTokenKey"/> itself). Reserved: no onboarding or registration may name it as a service
    /// principal's key.
    /// </summary>
    public string? StatusTokenKeySecretName { get; set; }

    /// <summary>How long a status URL works. Each 202 hands out a fresh one.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan StatusTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The <c>Retry-After</c> (seconds) sent with every 202.</summary>
    [Range(1, 3600)]
    public int StatusRetryAfterSeconds { get; set; } = 5;

    /// <summary>Proxies whose <c>X-Forwarded-Host</c>/<c>X-Forwarded-Proto</c> are believed (IP addresses).</summary>
    public List<string> TrustedProxies { get; set; } = [];

    [Range(1024, 1048576)]
    public int MaxRequestBodyBytes { get; set; } = 16384;
}

public sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        List<string> failures = [];
        try
        {
            if (Convert.FromBase64String(options.StatusTokenKey).Length < 32)
            {
                failures.Add("Api:StatusTokenKey must decode to at least 32 bytes.");
            }
        }
        catch (FormatException)
        {
            failures.Add("Api:StatusTokenKey must be base64 (e.g. openssl rand -base64 32).");
        }

        foreach (string proxy in options.TrustedProxies)
        {
            if (!System.Net.IPAddress.TryParse(proxy, out _))
            {
                failures.Add($"Api:TrustedProxies: '{proxy}' is not an IP address.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
