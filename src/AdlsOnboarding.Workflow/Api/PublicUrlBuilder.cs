using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Api;

/// <summary>
/// Builds absolute URLs from the request. <c>X-Forwarded-Host</c>/<c>-Proto</c> are used only when the request
/// comes from a configured proxy, so a caller cannot point the status URL somewhere else.
/// </summary>
public sealed class PublicUrlBuilder(IOptions<ApiOptions> options)
{
    public string Build(HttpRequest request, string pathAndQuery)
    {
        string scheme = request.Scheme;
        string host = request.Host.Value ?? "localhost";
        IPAddress? remote = request.HttpContext.Connection.RemoteIpAddress;
        if (remote is not null && IsTrustedProxy(remote))
        {
            string? forwardedHost = First(request.Headers["X-Forwarded-Host"]);
            string? forwardedProto = First(request.Headers["X-Forwarded-Proto"]);
            if (forwardedHost is not null && Uri.CheckHostName(forwardedHost.Split(':')[0]) != UriHostNameType.Unknown)
            {
                host = forwardedHost;
            }

            if (forwardedProto is "http" or "https")
            {
                scheme = forwardedProto;
            }
        }

        return $"{scheme}://{host}{request.PathBase}{pathAndQuery}";
    }

    private bool IsTrustedProxy(IPAddress remote)
    {
        IPAddress normalized = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        return options.Value.TrustedProxies.Any(p => IPAddress.TryParse(p, out IPAddress? proxy) && proxy.Equals(normalized));
    }

    private static string? First(Microsoft.Extensions.Primitives.StringValues values)
    {
        string? value = values.Count > 0 ? values[0] : null;
        return string.IsNullOrWhiteSpace(value) ? null : value.Split(',')[0].Trim();
    }
}
