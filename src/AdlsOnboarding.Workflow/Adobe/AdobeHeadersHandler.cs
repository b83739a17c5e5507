using System.Net;
using System.Net.Http.Headers;
using AdlsOnboarding.Workflow.Secrets;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// Puts the five headers Adobe requires on every Flow Service request (<c>Authorization</c> with the IMS token,
/// <c>x-api-key</c>, <c>x-gw-ims-org-id</c>, <c>x-sandbox-name</c>, <c>Content-Type: application/json</c> on a body).
/// A gateway 401 (an expired or revoked token) renews the token once and sends the request again, body and all; a
/// second 401 is handed back as it came: the caller's failure, never a loop.
/// </summary>
internal sealed class AdobeHeadersHandler(ImsTokenProvider tokens, IOptions<AdobeOptions> options) : DelegatingHandler
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Buffered, so that the repeat after a renewal sends the same bytes.
        byte[]? body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        SensitiveString token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response = await base.SendAsync(WithHeaders(request, token), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        response.Dispose();
        tokens.Invalidate(token);
        token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        using HttpRequestMessage repeat = Copy(request, body);
        return await base.SendAsync(WithHeaders(repeat, token), cancellationToken).ConfigureAwait(false);
    }

    private HttpRequestMessage WithHeaders(HttpRequestMessage request, SensitiveString token)
    {
        AdobeOptions settings = options.Value;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Reveal());
        Set(request.Headers, "x-api-key", settings.ClientId);
        Set(request.Headers, "x-gw-ims-org-id", settings.OrgId);
        Set(request.Headers, "x-sandbox-name", FlowServiceRequest.SandboxOf(request));
        if (request.Content is not null)
        {
            request.Content.Headers.ContentType = Json;
        }

        return request;
    }

    private static void Set(HttpRequestHeaders headers, string name, string value)
    {
        headers.Remove(name);
        headers.Add(name, value);
    }

    /// <summary>A new message with the request's method, address, headers, options and buffered body.</summary>
    private static HttpRequestMessage Copy(HttpRequestMessage request, byte[]? body)
    {
        HttpRequestMessage copy = new(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (KeyValuePair<string, IEnumerable<string>> header in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        foreach (KeyValuePair<string, object?> option in request.Options)
        {
            ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
        }

        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (KeyValuePair<string, IEnumerable<string>> header in request.Content!.Headers)
            {
                copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        return copy;
    }
}
