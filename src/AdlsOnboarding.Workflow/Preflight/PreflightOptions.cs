using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Preflight;

/// <summary>
/// Pre-flight settings: the switch <c>Onboarding:Preflight</c> (<c>On</c>/<c>Off</c>) and the section
/// <c>Preflight</c>, which says where Entra ID and the accounts' blob endpoints are, so that a stand-in on loopback
/// can take their place. Validated at start-up by <see cref="PreflightOptionsValidator"/>.
/// </summary>
public sealed partial class PreflightOptions
{
    public const string Section = "Preflight";

    /// <summary>The switch lives beside the other onboarding settings; it is read from there, not from <see cref="Section"/>.</summary>
    public const string SwitchKey = "Onboarding:Preflight";

    public const string AccountPlaceholder = "{account}";

    /// <summary><c>On</c> (default) or <c>Off</c>, from <see cref="SwitchKey"/>; get-only, so that it is not bound from <see cref="Section"/>.</summary>
    public string Mode { get; private set; } = "On";

    public bool Enabled => Mode == "On";

    /// <summary>Takes the switch's configured value (null: not configured, the default stays).</summary>
    public void ApplySwitch(string? value) => Mode = value ?? Mode;

    /// <summary>Entra ID's authority host (the service principal signs in at <c>{host}/{tenant}/oauth2/v2.0/token</c>).</summary>
    [Required]
    public Uri AuthorityHost { get; set; } = new("https://login.microsoftonline.com/");

    /// <summary>
    /// An account's blob endpoint, <see cref="AccountPlaceholder"/> standing for its name. Path-style
    /// (<c>https://127.0.0.1:port/{account}</c>) only for a loopback stand-in.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string BlobEndpointTemplate { get; set; } = "https://{account}.blob.core.windows.net";

    /// <summary>
    /// A key version younger than this that Entra refuses as invalid (AADSTS7000215) is a transient failure: a new
    /// client secret can take minutes to be accepted everywhere.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan NewKeyGracePeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Per request to Entra ID or the blob endpoint.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// For a stand-in on loopback only (tests, local runs): trust exactly the server certificate with this SHA-1
    /// thumbprint for loopback hosts. Hosts that are not loopback are always validated normally.
    /// </summary>
    public string? LoopbackCertificateThumbprint { get; set; }

    /// <summary>The blob endpoint of one account. The name must be only lowercase letters and digits (checked by the caller).</summary>
    public Uri BlobEndpointFor(string account) => new(BlobEndpointTemplate.Replace(AccountPlaceholder, account, StringComparison.Ordinal));

    internal static bool IsThumbprint(string value) => Thumbprint().IsMatch(value);

    [GeneratedRegex("^[0-9A-Fa-f]{40}$", RegexOptions.CultureInvariant)]
    private static partial Regex Thumbprint();
}

/// <summary>
/// What DataAnnotations cannot say: the switch is exactly <c>On</c> or <c>Off</c>; the authority is https; the blob
/// endpoint template names the account exactly once, in the host (or, on loopback, as the first path segment), and
/// is https except on loopback. These URLs receive a service principal's key and tokens.
/// </summary>
public sealed class PreflightOptionsValidator : IValidateOptions<PreflightOptions>
{
    public ValidateOptionsResult Validate(string? name, PreflightOptions options)
    {
        List<string> failures = [];
        if (options.Mode is not ("On" or "Off"))
        {
            failures.Add($"{PreflightOptions.SwitchKey} must be On or Off (it is '{options.Mode}').");
        }

        CheckAuthority(options.AuthorityHost, failures);
        CheckTemplate(options.BlobEndpointTemplate, failures);
        if (options.LoopbackCertificateThumbprint is { Length: > 0 } thumbprint && !PreflightOptions.IsThumbprint(thumbprint))
        {
            failures.Add("Preflight:LoopbackCertificateThumbprint must be a SHA-1 thumbprint (40 hexadecimal characters).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckAuthority(Uri? host, List<string> failures)
    {
        if (host is null || !host.IsAbsoluteUri || host.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add("Preflight:AuthorityHost must be an absolute https URL (Entra ID's is https://login.microsoftonline.com/).");
        }
        else if (host.Query.Length > 0 || host.Fragment.Length > 0 || host.UserInfo.Length > 0)
        {
            failures.Add("Preflight:AuthorityHost must have no query, fragment or user info.");
        }
    }

    private static void CheckTemplate(string? template, List<string> failures)
    {
        const string setting = "Preflight:BlobEndpointTemplate";
        if (string.IsNullOrEmpty(template))
        {
            failures.Add($"{setting} is required.");
            return;
        }

        int first = template.IndexOf(PreflightOptions.AccountPlaceholder, StringComparison.Ordinal);
        if (first < 0 || template.IndexOf(PreflightOptions.AccountPlaceholder, first + 1, StringComparison.Ordinal) >= 0)
        {
            failures.Add($"{setting} must contain {PreflightOptions.AccountPlaceholder} exactly once.");
            return;
        }

        // Two sample names must give two well-formed URLs that differ only where the name goes.
        const string sample = "account0sample";
        if (!Uri.TryCreate(template.Replace(PreflightOptions.AccountPlaceholder, sample, StringComparison.Ordinal), UriKind.Absolute, out Uri? url)
            || url.Query.Length > 0 || url.Fragment.Length > 0 || url.UserInfo.Length > 0)
        {
            failures.Add($"{setting} must give an absolute URL with no query, fragment or user info.");
            return;
        }

        if (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && url.IsLoopback))
        {
            failures.Add($"{setting} must use https (plain http only for a loopback host).");
        }

        bool inHost = url.Host.StartsWith(sample + ".", StringComparison.Ordinal);
        bool firstSegment = url.IsLoopback && url.AbsolutePath.TrimEnd('/') == "/" + sample;
        if (!inHost && !firstSegment)
        {
            failures.Add($"{setting} must put {PreflightOptions.AccountPlaceholder} at the start of the host (https://{{account}}.blob.core.windows.net), or, for a loopback host only, as the whole path (https://127.0.0.1:port/{{account}}).");
        }
    }
}
