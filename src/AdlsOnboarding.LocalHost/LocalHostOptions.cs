namespace AdlsOnboarding.LocalHost;

/// <summary>Settings of the local host itself (section <c>LocalHost</c>).</summary>
public sealed class LocalHostOptions
{
    public const string Section = "LocalHost";

    /// <summary>Where the HTTP API listens. Anything but loopback requires <see cref="ApiKey"/>.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:7071";

    /// <summary>
    /// The key <c>POST /api/onboardings</c> requires, like a Functions function key: header <c>x-functions-key</c>
    /// or query <c>code</c>. Unset: no key is asked for, and the host only listens on loopback.
    /// </summary>
    public string? ApiKey { get; set; }
}
