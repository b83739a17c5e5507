using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Api;

/// <summary>
/// Builds the absolute URLs the API hands out (status URLs) on <see cref="ApiOptions.PublicBaseUrl"/>. Never from the
/// request: its <c>Host</c> and <c>X-Forwarded-*</c> headers are the caller's to choose (<c>api.contoso.com:@evil.example</c>
/// would make a URL on evil.example), and in Azure the Functions host rewrites them anyway.
/// </summary>
public sealed class PublicUrlBuilder(IOptions<ApiOptions> options)
{
    private readonly Lazy<string> _origin = new(() =>
        ApiOptionsValidator.PublicBaseUri(options.Value.PublicBaseUrl)?.GetLeftPart(UriPartial.Authority)
        ?? throw new InvalidOperationException("Api:PublicBaseUrl is not a valid https origin."));

    /// <summary>The absolute URL of <paramref name="pathAndQuery"/> (which starts with <c>/</c>).</summary>
    public string Build(string pathAndQuery) => _origin.Value + pathAndQuery;
}
