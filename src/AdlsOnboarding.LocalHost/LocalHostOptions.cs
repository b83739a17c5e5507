namespace AdlsOnboarding.LocalHost;

/// <summary>Settings of the local host itself (section <c>LocalHost</c>).</summary>
public sealed class LocalHostOptions
{
    public const string Section = "LocalHost";

    /// <summary>
    /// Where the HTTP API listens (<c>Kestrel:Endpoints</c>, if configured, take its place; <c>ASPNETCORE_URLS</c> and
    /// the like do not). Anything but loopback, here or there, requires <see cref="ApiKey"/>.
    /// </summary>
    public string Urls { get; set; } = "http://127.0.0.1:7071";

    /// <summary>
    /// The key every route but the status URL requires, like a Functions function key, in the header
    /// <c>x-functions-key</c> only (never the query string). Unset: no key is asked for, the host only listens on
    /// loopback, and only loopback names are accepted as <c>Host</c>.
    /// </summary>
    public string? ApiKey { get; set; }
}
