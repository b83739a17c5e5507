using System.ComponentModel.DataAnnotations;
using System.Net;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Api;

/// <summary>Settings of the HTTP API (configuration section <c>Api</c>).</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>
    /// HMAC-SHA256 key that signs status URLs: base64, at least 32 bytes. For runs without an app vault; in Azure the
    /// key is read from the app vault instead (<see cref="StatusTokenKeySecretName"/>).
    /// </summary>
    public string StatusTokenKey { get; set; } = "";

    /// <summary>
    /// The secret in the app vault (<c>Secrets:AppKeyVaultUri</c>) that holds the status-token key, read with the SDK:
    /// the newest enabled versions, refreshed every <see cref="StatusTokenKeyRefreshInterval"/>. Set: replaces
    /// <see cref="StatusTokenKey"/>. Reserved: no onboarding or registration may name it as a service principal's key.
    /// </summary>
    public string? StatusTokenKeySecretName { get; set; }

    /// <summary>How often the key's versions are listed; a new version signs once it is twice this old.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan StatusTokenKeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The scheme, host and port callers reach the API at (<c>https://&lt;app&gt;.azurewebsites.net</c>): status URLs
    /// are built on it, never on the request's <c>Host</c> or <c>X-Forwarded-*</c> headers. https, no path, query or
    /// user info; plain http only for a loopback host (local runs). The local host defaults it to its own URL.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>How long a status URL works. Each 202 hands out a fresh one.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan StatusTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The <c>Retry-After</c> (seconds) sent with every 202.</summary>
    [Range(1, 3600)]
    public int StatusRetryAfterSeconds { get; set; } = 5;

    [Range(1024, 1048576)]
    public int MaxRequestBodyBytes { get; set; } = 16384;
}

public sealed class ApiOptionsValidator(IOptions<SecretStoreOptions> secrets) : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        List<string> failures = [];
        if (!string.IsNullOrEmpty(options.StatusTokenKeySecretName))
        {
            if (!string.IsNullOrEmpty(options.StatusTokenKey))
            {
                failures.Add("Set Api:StatusTokenKey or Api:StatusTokenKeySecretName, not both.");
            }

            if (secrets.Value.AppKeyVaultUri is null)
            {
                failures.Add("Api:StatusTokenKeySecretName needs the app vault, Secrets:AppKeyVaultUri.");
            }
        }
        else if (string.IsNullOrEmpty(options.StatusTokenKey))
        {
            failures.Add("Api:StatusTokenKey (or, with an app vault, Api:StatusTokenKeySecretName) is required.");
        }
        else
        {
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
        }

        if (!string.IsNullOrEmpty(options.PublicBaseUrl) && PublicBaseUri(options.PublicBaseUrl) is null)
        {
            failures.Add($"Api:PublicBaseUrl must be an https origin such as https://<app>.azurewebsites.net (no path, query or user info; http only for a loopback host), not '{options.PublicBaseUrl}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The origin a valid <see cref="ApiOptions.PublicBaseUrl"/> stands for, or null if it is not one.</summary>
    public static Uri? PublicBaseUri(string value)
    {
        // Checked as written as well as parsed: Uri trims, unescapes and turns \ into /, which must not pass unseen.
        if (ValidationRules.Malformed(value) is not null || value.IndexOfAny(['@', '?', '#', '\\']) >= 0
            || !Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.AbsolutePath != "/")
        {
            return null;
        }

        bool loopback = uri.IsLoopback && (uri.Host == "localhost" || IPAddress.TryParse(uri.Host.Trim('[', ']'), out _));
        return uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && loopback) ? new Uri(uri.GetLeftPart(UriPartial.Authority)) : null;
    }
}
