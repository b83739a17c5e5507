using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// The Adobe Experience Platform Flow Service calls the product makes on base connections: one method an operation,
/// source-generated JSON bodies (<see cref="FlowServiceJsonContext"/>), and failures as
/// <see cref="AdobeServiceException"/>s. The <see cref="HttpClient"/> it is given is a pipeline of handlers (see
/// <c>AddAdlsOnboardingWorkflow</c>): <see cref="AdobeHeadersHandler"/> (Adobe's five headers, one token renewal on a
/// gateway 401), <see cref="AdobeTrafficGateHandler"/> (concurrency, rate, 429 pauses), <see cref="FlowServiceCallHandler"/>
/// (per-request timeout, log, metric) and <see cref="SecretRedactionHandler"/> (no key in an error body). This client
/// never retries by itself: retries are durable, in the orchestration, where a <c>Retry-After</c> can be honoured
/// without holding a worker. It holds no state of its own, so it is thread-safe and may live as long as its holder.
/// </summary>
public sealed class FlowServiceClient(HttpClient http, IOptions<AdobeOptions> options, TimeProvider time, ILogger<FlowServiceClient> logger)
{
    /// <summary>The name of its <see cref="HttpClient"/> (and handler pipeline) in the <see cref="IHttpClientFactory"/>.</summary>
    public const string HttpClientName = "Adobe.FlowService";

    private static FlowServiceJsonContext Json => FlowServiceJsonContext.Default;

    private AdobeOptions Settings => options.Value;

    /// <summary><c>POST /connections</c>: creates an ADLS Gen2 base connection. Not idempotent on Adobe's side.</summary>
    public async Task<ConnectionIds> CreateConnectionAsync(string sandbox, AdlsGen2ConnectionSpec connection, CancellationToken cancellationToken = default)
    {
        CreateConnectionBody body = new(
            connection.Name,
            connection.Description,
            new AuthBody(AdobeOptions.AdlsGen2AuthSpecName, AuthParamsBody.From(connection.Auth)),
            new ConnectionSpecReference(Settings.ConnectionSpecId, Settings.ConnectionSpecVersion));
        using HttpRequestMessage request = Request("Create connection", sandbox, HttpMethod.Post, "connections", JsonBody(body, Json.CreateConnectionBody), connection.Auth.ServicePrincipalKey);
        using HttpResponseMessage response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadIdsAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET /connections?property=name==N&amp;property=connectionSpec.id==S</c>, following <c>_links.next</c> to the end.
    /// </summary>
    public async Task<IReadOnlyList<FlowConnection>> FindConnectionsByNameAsync(string sandbox, string name, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<FlowConnection> found = await ListAsync(sandbox, "property=" + Uri.EscapeDataString($"name=={name}") + "&", cancellationToken).ConfigureAwait(false);

        // Adobe filters server-side; the exact comparison is repeated here so a looser filter can never widen the match.
        return found.Where(c => string.Equals(c.Name, name, StringComparison.Ordinal)).ToList();
    }

    /// <summary>
    /// The ADLS Gen2 connections of the sandbox with <paramref name="name"/> or pointing at <paramref name="url"/>:
    /// <see cref="FindConnectionsByNameAsync"/> and <see cref="FindConnectionsByUrlAsync"/> in parallel, each connection once.
    /// </summary>
    public async Task<IReadOnlyList<FlowConnection>> FindConnectionsByNameOrUrlAsync(string sandbox, string name, string url, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<FlowConnection>[] found = await Task.WhenAll(
            FindConnectionsByNameAsync(sandbox, name, cancellationToken),
            FindConnectionsByUrlAsync(sandbox, url, cancellationToken)).ConfigureAwait(false);
        return [.. found.SelectMany(c => c).DistinctBy(c => c.Id)];
    }

    /// <summary>
    /// The ADLS Gen2 connections of the sandbox that point at <paramref name="url"/> (a canonical account URL, no trailing
    /// <c>/</c>): <c>GET /connections?property=auth.params.url==U&amp;property=connectionSpec.id==S</c>, once for the URL and
    /// once for the URL with a trailing <c>/</c> (both forms are valid in a connection), in parallel. Adobe filters on any
    /// property path (its "sort and filter" guide); where a Flow Service answers such a filter with 400, the look-up falls
    /// back to listing every ADLS Gen2 connection of the sandbox (correct, but one page per <see cref="AdobeOptions.LookupPageSize"/>
    /// connections), and logs it. The comparison is repeated here (case-insensitive, one trailing <c>/</c>), so a looser
    /// filter can never widen the match.
    /// </summary>
    public async Task<IReadOnlyList<FlowConnection>> FindConnectionsByUrlAsync(string sandbox, string url, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<FlowConnection>[] found;
        try
        {
            found = await Task.WhenAll(
                ListAsync(sandbox, "property=" + Uri.EscapeDataString($"auth.params.url=={url}") + "&", cancellationToken),
                ListAsync(sandbox, "property=" + Uri.EscapeDataString($"auth.params.url=={url}/") + "&", cancellationToken)).ConfigureAwait(false);
        }
        catch (AdobeServiceException ex) when (ex.Status == (int)HttpStatusCode.BadRequest)
        {
            Logs.UrlFilterRefused(logger, sandbox, ex.Code);
            found = [await ListAsync(sandbox, "", cancellationToken).ConfigureAwait(false)];
        }

        return found.SelectMany(page => page)
            .Where(c => string.Equals(c.AuthUrl?.TrimEnd('/'), url, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(c => c.Id)
            .ToList();
    }

    private async Task<IReadOnlyList<FlowConnection>> ListAsync(string sandbox, string filter, CancellationToken cancellationToken)
    {
        List<FlowConnection> found = [];
        string? next = "connections?"
            + filter
            + "property=" + Uri.EscapeDataString($"connectionSpec.id=={Settings.ConnectionSpecId}")
            + "&limit=" + Settings.LookupPageSize.ToString(CultureInfo.InvariantCulture);

        for (int page = 0; next is not null; page++)
        {
            if (page == 1000)
            {
                throw new AdobeServiceException("List connections", 200, "PagingLoop", "more than 1000 pages; stopping", isTransient: false, retryAfter: null, requestMayHaveSucceeded: false);
            }

            using HttpRequestMessage request = Request("List connections", sandbox, HttpMethod.Get, next);
            using HttpResponseMessage response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            ConnectionPage? body = await ReadJsonAsync(response, Json.ConnectionPage, cancellationToken).ConfigureAwait(false);
            found.AddRange(body?.Items?.Where(item => item is not null).Select(item => item.ToConnection()) ?? []);
            string? href = body?.Links?.Next?.Href;
            next = string.IsNullOrEmpty(href) ? null : RelativeToBase(href);
        }

        // Adobe filters server-side; the spec is checked again so a looser filter can never widen the match.
        return found.Where(c => string.Equals(c.ConnectionSpecId, Settings.ConnectionSpecId, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    /// <summary><c>GET /connections/{id}</c>; null when Adobe answers 404.</summary>
    public async Task<FlowConnection?> GetConnectionAsync(string sandbox, string connectionId, CancellationToken cancellationToken = default)
    {
        try
        {
            using HttpRequestMessage request = Request("Read connection", sandbox, HttpMethod.Get, ConnectionPath(connectionId));
            using HttpResponseMessage response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            ConnectionPage? body = await ReadJsonAsync(response, Json.ConnectionPage, cancellationToken).ConfigureAwait(false);
            return body?.Items is [{ } item, ..] ? item.ToConnection() : null;
        }
        catch (AdobeServiceException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// <c>PATCH /connections/{id}</c> replacing <c>/auth/params</c> (all four params) with <c>If-Match</c>.
    /// A stale etag fails with code <c>1404-412</c>.
    /// </summary>
    public Task<ConnectionIds> UpdateAuthParamsAsync(string sandbox, string connectionId, string etag, AdlsGen2AuthParams auth, CancellationToken cancellationToken = default) =>
        UpdateConnectionAsync(sandbox, connectionId, etag, auth, name: null, cancellationToken);

    /// <summary>
    /// <c>PATCH /connections/{id}</c> with <c>If-Match</c>: a JSON Patch that replaces <c>/auth/params</c> (all four
    /// params) and/or <c>/name</c>, in one request so both apply or neither does. A stale etag fails with <c>1404-412</c>.
    /// </summary>
    public async Task<ConnectionIds> UpdateConnectionAsync(string sandbox, string connectionId, string etag, AdlsGen2AuthParams? auth, string? name, CancellationToken cancellationToken = default)
    {
        if (auth is null && name is null)
        {
            throw new ArgumentException("Nothing to update.", nameof(auth));
        }

        List<PatchOperation> patch = [];
        if (auth is not null)
        {
            patch.Add(new ReplaceAuthParams(AuthParamsBody.From(auth)));
        }

        if (name is not null)
        {
            patch.Add(new ReplaceName(name));
        }

        using HttpRequestMessage request = Request("Update connection", sandbox, HttpMethod.Patch, ConnectionPath(connectionId), JsonBody<IReadOnlyList<PatchOperation>>(patch, Json.IReadOnlyListPatchOperation), auth?.ServicePrincipalKey);

        // The etag is sent as Adobe gave it, its own double quotes included.
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        using HttpResponseMessage response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadIdsAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /connections/{id}</c>: true when deleted, false when Adobe no longer had it (404).</summary>
    public async Task<bool> DeleteConnectionAsync(string sandbox, string connectionId, CancellationToken cancellationToken = default)
    {
        try
        {
            using HttpRequestMessage request = Request("Delete connection", sandbox, HttpMethod.Delete, ConnectionPath(connectionId));
            using HttpResponseMessage response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AdobeServiceException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    /// <summary><c>GET /connections/{id}/test</c>: whether Adobe can reach the account with the stored credentials.</summary>
    public async Task<bool> TestConnectionAsync(string sandbox, string connectionId, CancellationToken cancellationToken = default)
    {
        using HttpRequestMessage request = Request("Test connection", sandbox, HttpMethod.Get, ConnectionPath(connectionId) + "/test");
        using HttpResponseMessage response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        TestResultBody? body = await ReadJsonAsync(response, Json.TestResultBody, cancellationToken).ConfigureAwait(false);
        return body?.Result == true;
    }

    /// <summary>
    /// <c>GET /connections/{id}/explore?objectType=root</c>: whether Adobe, with the connection's credentials and from
    /// its own network, can list the account's root (its containers). A refusal by the account (Microsoft's error
    /// passed on as <c>1308-400</c>, or a forbidden <c>1xxx-403</c>) is a result; anything else fails as any call
    /// does. The names listed are not read.
    /// </summary>
    public async Task<ExploreResult> ExploreRootAsync(string sandbox, string connectionId, CancellationToken cancellationToken = default)
    {
        try
        {
            using HttpRequestMessage request = Request("Explore connection", sandbox, HttpMethod.Get, ConnectionPath(connectionId) + "/explore?objectType=root");
            using HttpResponseMessage response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            JsonElement root = await ReadJsonAsync(response, Json.JsonElement, cancellationToken).ConfigureAwait(false);
            return root.ValueKind == JsonValueKind.Array
                ? ExploreResult.Listed
                : throw new AdobeServiceException("Explore connection", (int)response.StatusCode, "InvalidResponse", "the response is not a JSON array", isTransient: true, retryAfter: null, requestMayHaveSucceeded: true);
        }
        catch (AdobeServiceException ex) when (ExploreResult.IsAccountRefusal(ex.Status, ex.Code))
        {
            return ExploreResult.Refused(ex.Code, ex.Detail);
        }
    }

    private static string ConnectionPath(string connectionId) => $"connections/{Uri.EscapeDataString(connectionId)}";

    private static ByteArrayContent JsonBody<T>(T value, JsonTypeInfo<T> type) => new(JsonSerializer.SerializeToUtf8Bytes(value, type));

    /// <param name="carriedKey">The key the body carries, if any: Adobe's error text is passed on (record, 422, logs), so any
    /// quotation of it there is removed before the error is read (<see cref="SecretRedactionHandler"/>).</param>
    private static HttpRequestMessage Request(string operation, string sandbox, HttpMethod method, string relativeUrl, HttpContent? body = null, SensitiveString? carriedKey = null)
    {
        HttpRequestMessage request = new(method, relativeUrl) { Content = body };
        request.Options.Set(FlowServiceRequest.Operation, operation);
        request.Options.Set(FlowServiceRequest.Sandbox, sandbox);
        if (carriedKey is not null)
        {
            request.Options.Set(FlowServiceRequest.CarriedSecret, carriedKey);
        }

        return request;
    }

    /// <summary>Sends through the handlers; an answer other than 2xx becomes an <see cref="AdobeServiceException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string operation = FlowServiceRequest.OperationOf(request);
        using Activity? span = WorkflowTelemetry.Source.StartActivity($"FlowService {operation}", ActivityKind.Client);
        span?.SetTag("adobe.operation", operation);
        span?.SetTag("adls.sandbox", FlowServiceRequest.SandboxOf(request));
        try
        {
            HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            span?.SetTag("http.response.status_code", (int)response.StatusCode);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                string errorBody = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw AdobeServiceException.FromResponse(operation, response.StatusCode, errorBody, RetryAfter.From(response, time));
            }
        }
        catch (AdobeServiceException ex)
        {
            span?.SetTag("http.response.status_code", ex.Status);
            span?.SetTag("adobe.error_code", ex.Code);
            span?.SetStatus(ActivityStatusCode.Error, ex.Code);
            throw;
        }
    }

    /// <summary><c>_links.next.href</c> may be absolute, or relative to the service (<c>/connections?…</c>).</summary>
    private string RelativeToBase(string href)
    {
        string basePath = http.BaseAddress!.AbsoluteUri;
        if (Uri.TryCreate(href, UriKind.Absolute, out Uri? absolute) && absolute.Scheme is "http" or "https")
        {
            return absolute.AbsoluteUri.StartsWith(basePath, StringComparison.Ordinal)
                ? absolute.AbsoluteUri[basePath.Length..]
                : throw new AdobeServiceException("List connections", 200, "ForeignNextLink", "the next-page link points outside the Flow Service", isTransient: false, retryAfter: null, requestMayHaveSucceeded: false);
        }

        string trimmed = href.TrimStart('/');
        string servicePath = http.BaseAddress.AbsolutePath.Trim('/');
        return trimmed.StartsWith(servicePath + "/", StringComparison.Ordinal) && servicePath.Length > 0
            ? trimmed[(servicePath.Length + 1)..]
            : trimmed;
    }

    /// <summary>The service's address with a trailing slash: without one, a relative request would lose its last segment.</summary>
    internal static Uri BaseAddress(AdobeOptions settings)
    {
        string value = settings.FlowServiceUrl.AbsoluteUri;
        return new Uri(value.EndsWith('/') ? value : value + "/");
    }

    private static async Task<ConnectionIds> ReadIdsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        IdsBody? body = await ReadJsonAsync(response, Json.IdsBody, cancellationToken).ConfigureAwait(false);
        return !string.IsNullOrEmpty(body?.Id) && !string.IsNullOrEmpty(body.Etag)
            ? new ConnectionIds(body.Id, body.Etag)
            : throw new AdobeServiceException("Flow Service", (int)response.StatusCode, "InvalidResponse", "the response has no id or etag", isTransient: false, retryAfter: null, requestMayHaveSucceeded: true);
    }

    private static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            throw new AdobeServiceException("Flow Service", (int)response.StatusCode, "InvalidResponse", "the response is not JSON", isTransient: true, retryAfter: null, requestMayHaveSucceeded: true);
        }
    }
}
