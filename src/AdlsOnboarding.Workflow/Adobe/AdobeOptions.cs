using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>Settings for Adobe IMS and the Flow Service (configuration section <c>Adobe</c>).</summary>
public sealed class AdobeOptions
{
    public const string Section = "Adobe";

    /// <summary>The ADLS Gen2 source's connection spec (not the provider id <c>0ed90a81-…</c> the old tutorial shows).</summary>
    public const string AdlsGen2ConnectionSpecId = "b3ba5556-48be-44b7-8b85-ff2b69b46dc4";

    /// <summary>The auth spec name Adobe requires for ADLS Gen2, spaces included.</summary>
    public const string AdlsGen2AuthSpecName = "Basic Authentication for adls-gen2";

    [Required]
    public Uri FlowServiceUrl { get; set; } = new("https://platform.adobe.io/data/foundation/flowservice");

    [Required]
    public Uri ImsTokenUrl { get; set; } = new("https://ims-na1.adobelogin.com/ims/token/v3");

    /// <summary>The Developer Console project's client id, sent as <c>x-api-key</c> and used for IMS.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ClientId { get; set; } = "";

    /// <summary>The IMS organisation, e.g. <c>ABC123@AdobeOrg</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[A-Za-z0-9]+@AdobeOrg$", ErrorMessage = "Adobe:OrgId must look like 0123456789ABCDEF@AdobeOrg.")]
    public string OrgId { get; set; } = "";

    [Required(AllowEmptyStrings = false)]
    public string Scopes { get; set; } = "openid,AdobeID,read_organizations,additional_info.projectedProductContext,session";

    /// <summary>Name of the secret (Key Vault, or local secrets) that holds the IMS client secret.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[0-9a-zA-Z-]{1,127}$")]
    public string ClientSecretName { get; set; } = "adobe-ims-client-secret";

    [Required(AllowEmptyStrings = false)]
    public string ConnectionSpecId { get; set; } = AdlsGen2ConnectionSpecId;

    [Required(AllowEmptyStrings = false)]
    public string ConnectionSpecVersion { get; set; } = "1.0";

    /// <summary>Allows plain http for loopback hosts only (the local simulator). Never for anything else.</summary>
    public bool AllowInsecureLoopback { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A token is renewed this long before IMS says it expires.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "02:00:00")]
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Flow Service calls one instance makes at the same time.</summary>
    [Range(1, 1000)]
    public int MaxConcurrentCalls { get; set; } = 8;

    /// <summary>Flow Service calls one instance starts per second (0 = no limit).</summary>
    [Range(0, 10000)]
    public int MaxCallsPerSecond { get; set; } = 10;

    /// <summary>
    /// The longest a server's <c>Retry-After</c> (Flow Service or IMS, 429 or 503) is waited out inside a running
    /// activity, in seconds. A longer one fails the call unsent, as transient with the full delay, and the durable
    /// retry waits it with a durable timer, holding no activity. 0: never wait in process.
    /// </summary>
    [Range(0, 300)]
    public int MaxInProcessPauseSeconds { get; set; } = 30;

    /// <summary>Page size for connection look-ups.</summary>
    [Range(1, 100)]
    public int LookupPageSize { get; set; } = 50;
}

/// <summary>Rules DataAnnotations cannot express: upstream URLs carry tokens, so https only.</summary>
public sealed class AdobeOptionsValidator : IValidateOptions<AdobeOptions>
{
    public ValidateOptionsResult Validate(string? name, AdobeOptions options)
    {
        List<string> failures = [];
        CheckUrl(options.FlowServiceUrl, "Adobe:FlowServiceUrl", options.AllowInsecureLoopback, failures);
        CheckUrl(options.ImsTokenUrl, "Adobe:ImsTokenUrl", options.AllowInsecureLoopback, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static void CheckUrl(Uri? url, string setting, bool allowInsecureLoopback, List<string> failures)
    {
        if (url is null || !url.IsAbsoluteUri)
        {
            failures.Add($"{setting} must be an absolute URL.");
        }
        else if (url.Scheme == Uri.UriSchemeHttp && !(allowInsecureLoopback && url.IsLoopback))
        {
            failures.Add($"{setting} must use https (plain http is allowed only for loopback hosts with Adobe:AllowInsecureLoopback=true).");
        }
        else if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{setting} must be an http(s) URL.");
        }
    }
}
