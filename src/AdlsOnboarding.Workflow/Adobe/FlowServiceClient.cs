using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// The Adobe Experience Platform Flow Service calls the product makes on base connections. Every call carries the
/// five headers Adobe requires, and passes the <see cref="AdobeTrafficGate"/> (concurrency, rate, 429 pauses); a
/// gateway 401 renews the IMS token and repeats the call once. Failures are
/// <see cref="AdobeServiceException"/>s. This client never retries by itself: retries are durable, in the
/// orchestration, where a <c>Retry-After</c> can be honoured without holding a worker. Thread-safe; registered once.
/// </summary>
public sealed class FlowServiceClient(
    IHttpClientFactory httpClientFactory,
    ImsTokenProvider tokens,
    AdobeTrafficGate gate,
    WorkflowMetrics metrics,
    IOptions<AdobeOptions> options,
    TimeProvider time,
    ILogger<FlowServiceClient> logger)
{
    public const string HttpClientName = "Adobe.FlowService";

    private AdobeOptions Settings => options.Value;

    /// <summary><c>POST /connections</c>: creates an ADLS Gen2 base connection. Not idempotent on Adobe's side.</summary>
    public async Task<ConnectionIds> CreateConnectionAsync(string sandbox, AdlsGen2ConnectionSpec connection, CancellationToken cancellationToken = default)
    {
        byte[] body = WriteJson(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("name", connection.Name);
            writer.WriteString("description", connection.Description);
            writer.WritePropertyName("auth");
            WriteAuth(writer, connection.Auth);
            writer.WriteStartObject("connectionSpec");
            writer.WriteString("id", Settings.ConnectionSpecId);
            writer.WriteString("version", Settings.ConnectionSpecVersion);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });

        using HttpResponseMessage response = await SendAsync("Create connection", sandbox, HttpMethod.Post, "connections", body, etag: null, cancellationToken, connection.Auth.ServicePrincipalKey).ConfigureAwait(false);
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

            using HttpResponseMessage response = await SendAsync("List connections", sandbox, HttpMethod.Get, next, body: null, etag: null, cancellationToken).ConfigureAwait(false);
            using JsonDocument document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
            JsonElement root = document.RootElement;
            if (root.TryGetProperty("items", out JsonElement items) && items.ValueKind == JsonValueKind.Array)
            {
                found.AddRange(items.EnumerateArray().Select(ParseConnection));
            }

            next = root.TryGetProperty("_links", out JsonElement links) && links.ValueKind == JsonValueKind.Object
                && links.TryGetProperty("next", out JsonElement nextLink) && nextLink.ValueKind == JsonValueKind.Object
                && nextLink.TryGetProperty("href", out JsonElement href) && href.ValueKind == JsonValueKind.String
                && !string.IsNullOrEmpty(href.GetString())
                ? RelativeToBase(href.GetString()!)
                : null;
        }

        // Adobe filters server-side; the spec is checked again so a looser filter can never widen the match.
        return found.Where(c => string.Equals(c.ConnectionSpecId, Settings.ConnectionSpecId, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    /// <summary><c>GET /connections/{id}</c>; null when Adobe answers 404.</summary>
    public async Task<FlowConnection?> GetConnectionAsync(string sandbox, string connectionId, CancellationToken cancellationToken = default)
    {
        try
        {
            using HttpResponseMessage response = await SendAsync("Read connection", sandbox, HttpMethod.Get, $"connections/{Uri.EscapeDataString(connectionId)}", body: null, etag: null, cancellationToken).ConfigureAwait(false);
            using JsonDocument document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
            return document.RootElement.TryGetProperty("items", out JsonElement items) && items.ValueKind == JsonValueKind.Array && items.GetArrayLength() > 0
                ? ParseConnection(items[0])
                : null;
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

        byte[] body = WriteJson(writer =>
        {
            writer.WriteStartArray();
            if (auth is not null)
            {
                writer.WriteStartObject();
                writer.WriteString("op", "replace");
                writer.WriteString("path", "/auth/params");
                writer.WritePropertyName("value");
                WriteParams(writer, auth);
                writer.WriteEndObject();
            }

            if (name is not null)
            {
                writer.WriteStartObject();
                writer.WriteString("op", "replace");
                writer.WriteString("path", "/name");
                writer.WriteString("value", name);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });

        using HttpResponseMessage response = await SendAsync("Update connection", sandbox, HttpMethod.Patch, $"connections/{Uri.EscapeDataString(connectionId)}", body, etag, cancellationToken, auth?.ServicePrincipalKey).ConfigureAwait(false);
        return await ReadIdsAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /connections/{id}</c>: true when deleted, false when Adobe no longer had it (404).</summary>
    public async Task<bool> DeleteConnectionAsync(string sandbox, string connectionId, CancellationToken cancellationToken = default)
    {
        try
        {
            using HttpResponseMessage response = await SendAsync("Delete connection", sandbox, HttpMethod.Delete, $"connections/{Uri.EscapeDataString(connectionId)}", body: null, etag: null, cancellationToken).ConfigureAwait(false);
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
        using HttpResponseMessage response = await SendAsync("Test connection", sandbox, HttpMethod.Get, $"connections/{Uri.EscapeDataString(connectionId)}/test", body: null, etag: null, cancellationToken).ConfigureAwait(false);
        using JsonDocument document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        return document.RootElement.TryGetProperty("result", out JsonElement result) && result.ValueKind == JsonValueKind.True;
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
            using HttpResponseMessage response = await SendAsync("Explore connection", sandbox, HttpMethod.Get, $"connections/{Uri.EscapeDataString(connectionId)}/explore?objectType=root", body: null, etag: null, cancellationToken).ConfigureAwait(false);
            using JsonDocument document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
            return document.RootElement.ValueKind == JsonValueKind.Array
                ? ExploreResult.Listed
                : throw new AdobeServiceException("Explore connection", (int)response.StatusCode, "InvalidResponse", "the response is not a JSON array", isTransient: true, retryAfter: null, requestMayHaveSucceeded: true);
        }
        catch (AdobeServiceException ex) when (ExploreResult.IsAccountRefusal(ex.Status, ex.Code))
        {
            return ExploreResult.Refused(ex.Code, ex.Detail);
        }
    }

    /// <param name="carriedKey">The key the body carries, if any: Adobe's error text is passed on (record, 422, logs), so any
    /// quotation of it there is removed before the error is read.</param>
    private async Task<HttpResponseMessage> SendAsync(string operation, string sandbox, HttpMethod method, string relativeUrl, byte[]? body, string? etag, CancellationToken cancellationToken, SensitiveString? carriedKey = null)
    {
        using Activity? span = WorkflowTelemetry.Source.StartActivity($"FlowService {operation}", ActivityKind.Client);
        span?.SetTag("adobe.operation", operation);
        span?.SetTag("adls.sandbox", sandbox);
        try
        {
            HttpResponseMessage response = await SendOnceOrTwiceAsync(operation, sandbox, method, relativeUrl, body, etag, carriedKey, cancellationToken).ConfigureAwait(false);
            span?.SetTag("http.response.status_code", (int)response.StatusCode);
            return response;
        }
        catch (AdobeServiceException ex)
        {
            span?.SetTag("http.response.status_code", ex.Status);
            span?.SetTag("adobe.error_code", ex.Code);
            span?.SetStatus(ActivityStatusCode.Error, ex.Code);
            throw;
        }
    }

    private async Task<HttpResponseMessage> SendOnceOrTwiceAsync(string operation, string sandbox, HttpMethod method, string relativeUrl, byte[]? body, string? etag, SensitiveString? carriedKey, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            SensitiveString token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            using HttpRequestMessage request = new(method, new Uri(BaseUrl(), relativeUrl));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Reveal());
            request.Headers.Add("x-api-key", Settings.ClientId);
            request.Headers.Add("x-gw-ims-org-id", Settings.OrgId);
            request.Headers.Add("x-sandbox-name", sandbox);
            if (etag is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", etag);
            }

            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }

            HttpClient http = httpClientFactory.CreateClient(HttpClientName);

            // Waiting for the gate (concurrency, rate, a 429's pause) does not count against the request timeout.
            using IDisposable slot = await gate.EnterAsync(cancellationToken).ConfigureAwait(false);
            using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // Inside an activity, the call ends with the activity's budget (it started with at least a quarter left).
            timeout.CancelAfter(Onboarding.ActivityBudget.CapCall(Settings.RequestTimeout));
            long started = time.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
            {
                Logs.FlowServiceNoResponse(logger, operation, sandbox, ex.GetType().Name);
                metrics.FlowServiceCalled(operation, 0, time.GetElapsedTime(started).TotalMilliseconds);
                throw AdobeServiceException.FromTransportFailure(operation, ex, timedOut: ex is OperationCanceledException);
            }

            double elapsed = time.GetElapsedTime(started).TotalMilliseconds;
            Logs.FlowServiceCalled(logger, operation, sandbox, (int)response.StatusCode, elapsed);
            metrics.FlowServiceCalled(operation, (int)response.StatusCode, elapsed);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                string errorBody = WithoutKey(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), carriedKey);
                AdobeServiceException failure = AdobeServiceException.FromResponse(operation, response.StatusCode, errorBody, RetryAfter.From(response, time));
                if (response.StatusCode == HttpStatusCode.TooManyRequests || (response.StatusCode == HttpStatusCode.ServiceUnavailable && failure.RetryAfter is not null))
                {
                    // Throttling or overload concerns every sender: hold all of this instance's calls back, not only this one.
                    gate.Pause(failure.RetryAfter ?? TimeSpan.FromSeconds(1), failure.Code);
                }

                if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 1)
                {
                    // An expired or revoked token: renew it once, then give up (a second 401 is permanent).
                    tokens.Invalidate(token);
                    continue;
                }

                throw failure;
            }
        }
    }

    /// <summary>The text with every quotation of the key, as sent or as JSON escapes it, replaced by <c>[redacted]</c>.</summary>
    private static string WithoutKey(string text, SensitiveString? key)
    {
        string? value = key?.Reveal();
        if (string.IsNullOrEmpty(value))
        {
            return text;
        }

        foreach (string form in new[] { value, JsonEncodedText.Encode(value).ToString(), JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString() })
        {
            text = text.Replace(form, "[redacted]", StringComparison.Ordinal);
        }

        return text;
    }

    private Uri BaseUrl()
    {
        // A base address without a trailing slash would lose its last segment when combined.
        string value = Settings.FlowServiceUrl.AbsoluteUri;
        return new Uri(value.EndsWith('/') ? value : value + "/");
    }

    /// <summary><c>_links.next.href</c> may be absolute, or relative to the service (<c>/connections?…</c>).</summary>
    private string RelativeToBase(string href)
    {
        if (Uri.TryCreate(href, UriKind.Absolute, out Uri? absolute) && absolute.Scheme is "http" or "https")
        {
            string basePath = BaseUrl().AbsoluteUri;
            return absolute.AbsoluteUri.StartsWith(basePath, StringComparison.Ordinal)
                ? absolute.AbsoluteUri[basePath.Length..]
                : throw new AdobeServiceException("List connections", 200, "ForeignNextLink", "the next-page link points outside the Flow Service", isTransient: false, retryAfter: null, requestMayHaveSucceeded: false);
        }

        string trimmed = href.TrimStart('/');
        string servicePath = BaseUrl().AbsolutePath.Trim('/');
        return trimmed.StartsWith(servicePath + "/", StringComparison.Ordinal) && servicePath.Length > 0
            ? trimmed[(servicePath.Length + 1)..]
            : trimmed;
    }

    private static async Task<ConnectionIds> ReadIdsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using JsonDocument document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        JsonElement root = document.RootElement;
        string? id = root.TryGetProperty("id", out JsonElement idValue) ? idValue.GetString() : null;
        string? etag = root.TryGetProperty("etag", out JsonElement etagValue) ? etagValue.GetString() : null;
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(etag))
        {
            throw new AdobeServiceException("Flow Service", (int)response.StatusCode, "InvalidResponse", "the response has no id or etag", isTransient: false, retryAfter: null, requestMayHaveSucceeded: true);
        }

        return new ConnectionIds(id, etag);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            throw new AdobeServiceException("Flow Service", (int)response.StatusCode, "InvalidResponse", "the response is not JSON", isTransient: true, retryAfter: null, requestMayHaveSucceeded: true);
        }
    }

    private static FlowConnection ParseConnection(JsonElement item)
    {
        static string? Text(JsonElement parent, string name) =>
            parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        JsonElement spec = item.TryGetProperty("connectionSpec", out JsonElement s) ? s : default;
        JsonElement auth = item.TryGetProperty("auth", out JsonElement a) ? a : default;
        JsonElement authParams = auth.ValueKind == JsonValueKind.Object && auth.TryGetProperty("params", out JsonElement p) ? p : default;
        long? createdAt = item.TryGetProperty("createdAt", out JsonElement c) && c.ValueKind == JsonValueKind.Number ? c.GetInt64() : null;
        return new FlowConnection(
            Text(item, "id") ?? "",
            Text(item, "name"),
            Text(item, "etag") ?? Text(item, "version"),
            Text(spec, "id"),
            Text(authParams, "url"),
            Text(authParams, "servicePrincipalId"),
            Text(authParams, "tenant"),
            createdAt,
            Text(item, "state"),
            Text(item, "createdClient"),
            Text(item, "updatedClient"));
    }

    private static void WriteAuth(Utf8JsonWriter writer, AdlsGen2AuthParams auth)
    {
        writer.WriteStartObject();
        writer.WriteString("specName", AdobeOptions.AdlsGen2AuthSpecName);
        writer.WritePropertyName("params");
        WriteParams(writer, auth);
        writer.WriteEndObject();
    }

    private static void WriteParams(Utf8JsonWriter writer, AdlsGen2AuthParams auth)
    {
        writer.WriteStartObject();
        writer.WriteString("url", auth.Url);
        writer.WriteString("servicePrincipalId", auth.ServicePrincipalId);
        writer.WriteString("servicePrincipalKey", auth.ServicePrincipalKey.Reveal());
        writer.WriteString("tenant", auth.Tenant);
        writer.WriteEndObject();
    }

    private static byte[] WriteJson(Action<Utf8JsonWriter> write)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer))
        {
            write(writer);
        }

        return buffer.ToArray();
    }
}
