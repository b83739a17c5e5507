using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AdlsOnboarding.Simulator.Adobe;

/// <summary>
/// The Flow Service (<c>/data/foundation/flowservice</c>) and IMS (<c>/ims/token/v3</c>) endpoints, checking what
/// Adobe checks and answering as Adobe answers (bodies, codes, quoted etags). Like Adobe, it lets duplicate
/// names through.
/// </summary>
public static partial class AdobeSimulatorEndpoints
{
    public const string FlowServicePath = "/data/foundation/flowservice";
    public const string ImsTokenPath = "/ims/token/v3";
    public const string AdlsGen2SpecId = "b3ba5556-48be-44b7-8b85-ff2b69b46dc4";
    public const string AdlsGen2SpecName = "Basic Authentication for adls-gen2";

    public static WebApplication MapAdobeSimulator(this WebApplication app, SimulatorState state)
    {
        app.MapPost(ImsTokenPath, http => Handle(http, state, SimulatedOperation.Token, TokenAsync));

        RouteGroupBuilder flow = app.MapGroup(FlowServicePath);
        flow.MapPost("/connections", http => Handle(http, state, SimulatedOperation.Create, CreateAsync, authorize: true));
        flow.MapGet("/connections", http => Handle(http, state, SimulatedOperation.List, List, authorize: true));
        flow.MapGet("/connections/{id}", http => Handle(http, state, SimulatedOperation.Read, Read, authorize: true));
        flow.MapMethods("/connections/{id}", ["PATCH"], http => Handle(http, state, SimulatedOperation.Update, UpdateAsync, authorize: true));
        flow.MapDelete("/connections/{id}", http => Handle(http, state, SimulatedOperation.Delete, Delete, authorize: true));
        flow.MapGet("/connections/{id}/test", http => Handle(http, state, SimulatedOperation.Test, Test, authorize: true));
        flow.MapGet("/connections/{id}/explore", http => Handle(http, state, SimulatedOperation.Explore, Explore, authorize: true));
        return app;
    }

    private static string Id(HttpContext http) => (string)http.GetRouteValue("id")!;

    private static async Task Handle(HttpContext http, SimulatorState state, SimulatedOperation operation, Func<HttpContext, SimulatorState, Task<IResult>> carryOut, bool authorize = false)
    {
        DateTimeOffset received = DateTimeOffset.UtcNow;
        string? sandbox = http.Request.Headers["x-sandbox-name"].FirstOrDefault();
        string? authorization = http.Request.Headers.Authorization.FirstOrDefault();
        int status = 0;
        DateTimeOffset? answered = null;
        string? account = null;

        // Taken as the answer starts to be written: the caller cannot have read it any earlier.
        async Task<int> WriteAsync(HttpContext context, IResult result)
        {
            answered = DateTimeOffset.UtcNow;
            await result.ExecuteAsync(context);
            return context.Response.StatusCode;
        }

        using IDisposable? inFlight = operation == SimulatedOperation.Token ? null : state.EnterCall();
        try
        {
            account = await AccountOfAsync(http, state, operation);
            if (operation != SimulatedOperation.Token && inFlight is null)
            {
                http.Response.Headers.RetryAfter = "1";
                status = await WriteAsync(http, Results.Json(new { error_code = "429050", message = "Too many requests" }, statusCode: 429));
                return;
            }

            if (operation != SimulatedOperation.Token && !state.TryAdmit(received, out TimeSpan wait))
            {
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                status = await WriteAsync(http, Results.Json(new { error_code = "429050", message = "Too many requests" }, statusCode: 429));
                return;
            }

            if (operation != SimulatedOperation.Token && state.Latency > TimeSpan.Zero)
            {
                await Task.Delay(state.Latency, http.RequestAborted);
            }

            IResult? refusal = authorize ? CheckHeaders(http, state) : null;
            if (refusal is not null)
            {
                status = await WriteAsync(http, refusal);
                return;
            }

            SimulatedFault? fault = state.NextFault(operation);
            switch (fault?.Kind)
            {
                case FaultKind.Status:
                    if (fault.Delay is { } hold)
                    {
                        await Task.Delay(hold, http.RequestAborted);
                    }

                    status = await WriteAsync(http, FaultResult(fault, http));
                    return;
                case FaultKind.EchoRequest:
                    string echoed = await new StreamReader(http.Request.Body).ReadToEndAsync(http.RequestAborted);
                    status = await WriteAsync(http, FlowError(fault.Status, fault.Code ?? DocumentedCode(fault.Status), "Invalid request", $"The request could not be validated: {echoed}"));
                    return;
                case FaultKind.Reset:
                    status = 0;
                    http.Abort();
                    return;
                case FaultKind.Delay:
                    await Task.Delay(fault.Delay ?? TimeSpan.FromSeconds(5), http.RequestAborted);
                    break;
            }

            IResult result = await carryOut(http, state);
            switch (fault?.Kind)
            {
                case FaultKind.CommitThenStatus:
                    status = await WriteAsync(http, FaultResult(fault, http));
                    return;
                case FaultKind.CommitThenReset:
                    status = 0;
                    http.Abort();
                    return;
                case FaultKind.CommitThenHang:
                    status = 0;
                    await Task.Delay(fault.Delay ?? state.Settings.HangDuration, http.RequestAborted);
                    http.Abort();
                    return;
            }

            status = await WriteAsync(http, result);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            status = 0;
        }
        finally
        {
            // Recorded after the work, with the arrival time: tests measure gaps between arrivals.
            int? retryAfter = int.TryParse(http.Response.Headers.RetryAfter.FirstOrDefault(), out int seconds) ? seconds : null;
            state.Record(new RecordedCall(received, operation, http.Request.Method, http.Request.Path + http.Request.QueryString, sandbox, status, authorization)
            {
                RetryAfterSeconds = retryAfter,
                AnsweredAt = answered,
                AccountUrl = account,
            });
        }
    }

    /// <summary>
    /// The storage account a Flow Service call concerns: the URL in a create's auth params (the body is buffered, so the
    /// endpoint still reads it), else that of the connection its path names; null for a list.
    /// </summary>
    private static async Task<string?> AccountOfAsync(HttpContext http, SimulatorState state, SimulatedOperation operation)
    {
        if (operation == SimulatedOperation.Create)
        {
            http.Request.EnableBuffering();
            JsonNode? body = await ReadJsonAsync(http);
            http.Request.Body.Position = 0;
            if ((body as JsonObject)?["auth"]?["params"]?["url"] is JsonValue url && url.TryGetValue(out string? value))
            {
                return value;
            }
        }

        return http.GetRouteValue("id") is string id ? state.AccountUrlOf(id) : null;
    }

    private static IResult FaultResult(SimulatedFault fault, HttpContext http)
    {
        if (fault.RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }
        else if (fault.RetryAfterDate is { } date)
        {
            // The HTTP-date form (RFC 9110), e.g. "Fri, 31 Dec 9999 23:59:59 GMT".
            http.Response.Headers.RetryAfter = date.ToUniversalTime().ToString("R", CultureInfo.InvariantCulture);
        }

        return fault.Status == 429
            ? Results.Json(new { error_code = "429050", message = "Too many requests" }, statusCode: 429)
            : FlowError(fault.Status, fault.Code ?? DocumentedCode(fault.Status), fault.Status >= 500 ? "Service unavailable, try again" : "Injected failure", "injected by the simulator");
    }

    /// <summary>The Flow Service codes Adobe documents for each status.</summary>
    private static string DocumentedCode(int status) => status switch
    {
        400 => "1001-400",
        403 => "2118-403",
        404 => "1439-404",
        500 => "1102-500",
        503 => "1103-503",
        504 => "1104-504",
        _ => $"1000-{status}",
    };

    /// <summary>The gateway's checks, with its error codes: token, API key, org, then the sandbox header.</summary>
    private static IResult? CheckHeaders(HttpContext http, SimulatorState state)
    {
        string? authorization = http.Request.Headers.Authorization.FirstOrDefault();
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Gateway(403, "403010", "Oauth token is missing.");
        }

        if (!state.IsTokenValid(authorization["Bearer ".Length..]))
        {
            return Gateway(401, "401013", "Oauth token is not valid");
        }

        if (http.Request.Headers["x-api-key"].FirstOrDefault() != state.Settings.ClientId)
        {
            return Gateway(403, "403000", "Api Key is invalid");
        }

        if (http.Request.Headers["x-gw-ims-org-id"].FirstOrDefault() != state.Settings.OrgId)
        {
            return Gateway(400, "400003", "Invalid or missing x-gw-ims-org-id header");
        }

        string? sandbox = http.Request.Headers["x-sandbox-name"].FirstOrDefault();
        if (string.IsNullOrEmpty(sandbox) || !SandboxName().IsMatch(sandbox))
        {
            return FlowError(400, "1001-400", "Bad request", "Missing or invalid x-sandbox-name header.");
        }

        return null;
    }

    private static async Task<IResult> TokenAsync(HttpContext http, SimulatorState state)
    {
        if (!http.Request.HasFormContentType)
        {
            return Results.Json(new { error = "invalid_request", error_description = "form body required" }, statusCode: 400);
        }

        IFormCollection form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (form["grant_type"] != "client_credentials")
        {
            return Results.Json(new { error = "unsupported_grant_type", error_description = "grant_type must be client_credentials" }, statusCode: 400);
        }

        if (form["client_id"] != state.Settings.ClientId || form["client_secret"] != state.Settings.ClientSecret)
        {
            return Results.Json(new { error = "invalid_client", error_description = "invalid client_id or client_secret" }, statusCode: 401);
        }

        if (string.IsNullOrEmpty(form["scope"]))
        {
            return Results.Json(new { error = "invalid_scope", error_description = "scope is required" }, statusCode: 400);
        }

        string token = state.IssueToken(state.Settings.TokenLifetime);
        return Results.Json(new { access_token = token, token_type = "bearer", expires_in = (long)state.Settings.TokenLifetime.TotalSeconds });
    }

    private static async Task<IResult> CreateAsync(HttpContext http, SimulatorState state)
    {
        JsonNode? body = await ReadJsonAsync(http);
        if (body is not JsonObject root)
        {
            return FlowError(400, "1001-400", "Bad request", "The body must be a JSON object.");
        }

        string? name = root["name"]?.GetValue<string>();
        string? specId = root["connectionSpec"]?["id"]?.GetValue<string>();
        string? specVersion = root["connectionSpec"]?["version"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            return FlowError(400, "1001-400", "Bad request", "name is required.");
        }

        if (specId != AdlsGen2SpecId || string.IsNullOrEmpty(specVersion))
        {
            return FlowError(400, "1007-400", "Invalid connection spec", $"Connection spec '{specId}' version '{specVersion}' not found.");
        }

        (SimulatedAuthParams? auth, IResult? error) = ReadAuth(root["auth"], requireSpecName: true);
        if (error is not null)
        {
            return error;
        }

        string sandbox = http.Request.Headers["x-sandbox-name"].First()!;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string client = ClientOf(http, state);
        SimulatedConnection connection = state.Add(new SimulatedConnection
        {
            CreatedClient = client,
            CreatedBy = client,
            Id = Guid.NewGuid().ToString("D"),
            Sandbox = sandbox,
            Name = name,
            Description = root["description"]?.GetValue<string>(),
            ConnectionSpecId = specId,
            ConnectionSpecVersion = specVersion,
            SpecName = AdlsGen2SpecName,
            Auth = auth!,
            Etag = SimulatorState.NewEtag(),
            CreatedAt = now,
            UpdatedAt = now,
        });
        http.Response.Headers.Location = $"{FlowServicePath}/connections/{connection.Id}";
        return Results.Json(new { id = connection.Id, etag = connection.Etag }, statusCode: 201);
    }

    private static Task<IResult> List(HttpContext http, SimulatorState state) => Task.FromResult(ListPage(http, state));

    private static IResult ListPage(HttpContext http, SimulatorState state)
    {
        string sandbox = http.Request.Headers["x-sandbox-name"].First()!;
        IEnumerable<SimulatedConnection> items = state.InSandbox(sandbox);
        List<string> properties = http.Request.Query["property"].Where(p => p is not null).Select(p => p!).ToList();
        foreach (string property in properties)
        {
            Match match = PropertyFilter().Match(property);
            if (!match.Success)
            {
                return FlowError(400, "1001-400", "Bad request", $"Unsupported property filter '{property}'.");
            }

            string field = match.Groups["field"].Value;
            string value = match.Groups["value"].Value;
            items = field switch
            {
                "name" => items.Where(c => c.Name == value).ToList(),
                "connectionSpec.id" => items.Where(c => c.ConnectionSpecId == value).ToList(),
                "id" => items.Where(c => c.Id == value).ToList(),
                "auth.params.url" when state.Settings.FiltersOnAuthUrl => items.Where(c => c.Auth.Url == value).ToList(),
                _ => items,
            };
            if (field is not ("name" or "connectionSpec.id" or "id") && !(field == "auth.params.url" && state.Settings.FiltersOnAuthUrl))
            {
                return FlowError(400, "1001-400", "Bad request", $"Unsupported property '{field}'.");
            }
        }

        if (http.Request.Query.ContainsKey("count") && http.Request.Query.ContainsKey("limit"))
        {
            return FlowError(400, "1401-400", "Bad request", "count cannot be combined with limit.");
        }

        int limit = int.TryParse(http.Request.Query["limit"], out int l) && l > 0 ? Math.Min(l, 100) : state.Settings.DefaultPageSize;
        int offset = int.TryParse(http.Request.Query["continuationToken"], out int c) && c >= 0 ? c : 0;
        List<SimulatedConnection> all = items.ToList();
        List<SimulatedConnection> page = all.Skip(offset).Take(limit).ToList();
        JsonObject response = new() { ["items"] = new JsonArray(page.Select(View).ToArray<JsonNode?>()) };
        if (offset + limit < all.Count)
        {
            string query = string.Join("&", properties.Select(p => "property=" + Uri.EscapeDataString(p)))
                + $"&limit={limit}&continuationToken={offset + limit}";
            response["_links"] = new JsonObject { ["next"] = new JsonObject { ["href"] = $"/connections?{query}" } };
        }

        return Results.Json(response);
    }

    private static Task<IResult> Read(HttpContext http, SimulatorState state) => Task.FromResult(ReadConnection(http, state, Id(http)));

    private static IResult ReadConnection(HttpContext http, SimulatorState state, string id)
    {
        SimulatedConnection? connection = state.Find(http.Request.Headers["x-sandbox-name"].First()!, id);
        return connection is null
            ? NotFound(id)
            : Results.Json(new JsonObject { ["items"] = new JsonArray(View(connection)) });
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, SimulatorState state)
    {
        string id = Id(http);
        SimulatedConnection? connection = state.Find(http.Request.Headers["x-sandbox-name"].First()!, id);
        if (connection is null)
        {
            return NotFound(id);
        }

        string? ifMatch = http.Request.Headers.IfMatch.FirstOrDefault();
        if (string.IsNullOrEmpty(ifMatch))
        {
            return FlowError(400, "1403-400", "Missing If-Match header", "An If-Match header with the current etag is required.");
        }

        if (await ReadJsonAsync(http) is not JsonArray operations || operations.Count == 0)
        {
            return FlowError(400, "1001-400", "Bad request", "The body must be a JSON Patch array.");
        }

        SimulatedAuthParams? auth = null;
        string? name = null;
        foreach (JsonNode? operation in operations)
        {
            string? op = operation?["op"]?.GetValue<string>();
            string? path = operation?["path"]?.GetValue<string>();
            if (op is not ("add" or "replace" or "remove") || path is null)
            {
                return FlowError(400, "1001-400", "Bad request", "Each operation needs op (add, replace, remove) and path.");
            }

            if (op == "replace" && path == "/name")
            {
                // Adobe's "update accounts" tutorial renames a connection with this operation.
                name = operation!["value"] is JsonValue value && value.TryGetValue(out string? text) && !string.IsNullOrEmpty(text) ? text : null;
                if (name is null)
                {
                    return FlowError(400, "1001-400", "Bad request", "/name must be a non-empty string.");
                }

                continue;
            }

            if (path != "/auth/params" || op != "replace")
            {
                return FlowError(400, "1001-400", "Bad request", $"The simulator supports only replace of /auth/params and /name, not {op} {path}.");
            }

            (auth, IResult? error) = ReadAuth(new JsonObject { ["params"] = operation!["value"]?.DeepClone() }, requireSpecName: false);
            if (error is not null)
            {
                return error;
            }
        }

        state.RunBeforeUpdate();
        string? etag = state.TryUpdate(connection, ifMatch, auth, name, ClientOf(http, state));
        return etag is null
            ? FlowError(412, "1404-412", "Precondition failed", "The etag does not match the current version of the connection.")
            : Results.Json(new { id = connection.Id, etag });
    }

    /// <summary>The IMS client of the request's token (the gateway has checked the token already).</summary>
    private static string ClientOf(HttpContext http, SimulatorState state) =>
        state.ClientOf(http.Request.Headers.Authorization.FirstOrDefault()?["Bearer ".Length..] ?? "");

    private static Task<IResult> Delete(HttpContext http, SimulatorState state) => Task.FromResult(DeleteConnection(http, state, Id(http)));

    private static IResult DeleteConnection(HttpContext http, SimulatorState state, string id)
    {
        SimulatedConnection? connection = state.Find(http.Request.Headers["x-sandbox-name"].First()!, id);
        if (connection is null)
        {
            return NotFound(id);
        }

        if (connection.InUseByDataflows)
        {
            return FlowError(400, "1418-400", "Connection in use", $"Connection {id} is used by one or more dataflows and cannot be deleted.");
        }

        connection.Deleted = true;
        return Results.NoContent();
    }

    private static Task<IResult> Test(HttpContext http, SimulatorState state) => Task.FromResult(TestConnection(http, state, Id(http)));

    private static IResult TestConnection(HttpContext http, SimulatorState state, string id)
    {
        SimulatedConnection? connection = state.Find(http.Request.Headers["x-sandbox-name"].First()!, id);
        return connection is null ? NotFound(id) : Results.Json(new { result = state.TestResultFor(connection.Auth.Url) });
    }

    private static Task<IResult> Explore(HttpContext http, SimulatorState state) => Task.FromResult(ExploreConnection(http, state, Id(http)));

    /// <summary>
    /// <c>GET /connections/{id}/explore?objectType=root|folder&amp;object={path}</c>. When the account refuses Adobe,
    /// Adobe answers <c>1308-400</c> with Microsoft's connector error; the exact text of that message is not
    /// documented, so the simulator's follows the Azure Data Factory connector's wording (an inference).
    /// </summary>
    private static IResult ExploreConnection(HttpContext http, SimulatorState state, string id)
    {
        SimulatedConnection? connection = state.Find(http.Request.Headers["x-sandbox-name"].First()!, id);
        if (connection is null)
        {
            return NotFound(id);
        }

        string? objectType = http.Request.Query["objectType"].FirstOrDefault();
        if (string.IsNullOrEmpty(objectType))
        {
            return FlowError(400, "1359-400", "Bad Request", "The param objectType is missing in the request. Please provide a valid objectType and try again.");
        }

        string type = objectType.ToLowerInvariant();
        if (type is not ("root" or "folder" or "file"))
        {
            return FlowError(400, "1358-400", "Bad Request", "The provided param 'objectType' is invalid. Please provide a valid objectType and try again.");
        }

        string? path = http.Request.Query["object"].FirstOrDefault();
        if (type != "root" && string.IsNullOrEmpty(path))
        {
            return FlowError(400, "1337-400", "Bad Request", $"The object cannot be empty for objectType={objectType}. Please provide valid object and try again.");
        }

        if (state.ExploreRefusalFor(connection.Auth.Url) is { } refusal)
        {
            string account = new Uri(connection.Auth.Url).Host.Split('.')[0];
            string statusText = refusal == "AuthenticationFailed" ? "Unauthorized" : "Forbidden";
            return FlowError(400, "1308-400", "Bad Request",
                $"The request could not be processed. Error message: ErrorCode=AdlsGen2OperationFailed,'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message=ADLS Gen2 operation failed for: Operation returned an invalid status code '{statusText}'. Account: '{account}'. ErrorCode: '{refusal}'. Message: 'This request is not authorized to perform this operation.'.'");
        }

        IEnumerable<string> folders = type == "root" ? state.ExploreFoldersFor(connection.Auth.Url) : [];
        return Results.Json(new JsonArray(folders.Select(name => (JsonNode?)new JsonObject
        {
            ["type"] = "folder",
            ["name"] = name,
            ["path"] = $"/{name}/",
            ["canPreview"] = false,
            ["canFetchSchema"] = false,
        }).ToArray()));
    }

    private static (SimulatedAuthParams? Auth, IResult? Error) ReadAuth(JsonNode? auth, bool requireSpecName)
    {
        if (requireSpecName && auth?["specName"]?.GetValue<string>() != AdlsGen2SpecName)
        {
            return (null, FlowError(400, "1415-400", "Invalid auth spec name", $"auth.specName must be '{AdlsGen2SpecName}'."));
        }

        JsonNode? parameters = auth?["params"];
        string? url = parameters?["url"]?.GetValue<string>();
        string? clientId = parameters?["servicePrincipalId"]?.GetValue<string>();
        string? key = parameters?["servicePrincipalKey"]?.GetValue<string>();
        string? tenant = parameters?["tenant"]?.GetValue<string>();
        if (string.IsNullOrEmpty(url) || string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(key) || string.IsNullOrEmpty(tenant))
        {
            return (null, FlowError(400, "1416-400", "Invalid auth params", "url, servicePrincipalId, servicePrincipalKey and tenant are all required."));
        }

        if (!AdlsUrl().IsMatch(url))
        {
            return (null, FlowError(400, "1417-400", "Invalid auth params", "url must be https://<account>.dfs.core.windows.net."));
        }

        return (new SimulatedAuthParams(url, clientId, key, tenant), null);
    }

    /// <summary>
    /// A connection as Adobe shows it: the key is never returned. <c>createdClient</c> is the IMS client that created
    /// it (its API key; <c>exc_app</c> for the UI); for a service token <c>createdBy</c> is the same value.
    /// </summary>
    private static JsonObject View(SimulatedConnection c) => new()
    {
        ["id"] = c.Id,
        ["createdAt"] = c.CreatedAt,
        ["updatedAt"] = c.UpdatedAt,
        ["createdBy"] = ByOf(c.CreatedBy, c.CreatedClient),
        ["updatedBy"] = c.UpdatedClient is null ? ByOf(c.CreatedBy, c.CreatedClient) : ByOf(null, c.UpdatedClient),
        ["createdClient"] = c.CreatedClient,
        ["updatedClient"] = c.UpdatedClient ?? c.CreatedClient,
        ["sandboxName"] = c.Sandbox,
        ["name"] = c.Name,
        ["description"] = c.Description,
        ["connectionSpec"] = new JsonObject { ["id"] = c.ConnectionSpecId, ["version"] = c.ConnectionSpecVersion },
        ["state"] = "enabled",
        ["auth"] = new JsonObject
        {
            ["specName"] = c.SpecName,
            ["params"] = new JsonObject { ["url"] = c.Auth.Url, ["servicePrincipalId"] = c.Auth.ServicePrincipalId, ["tenant"] = c.Auth.Tenant },
        },
        ["version"] = c.Etag,
        ["etag"] = c.Etag,
    };

    /// <summary><c>createdBy</c>/<c>updatedBy</c>: a user's Adobe ID in the UI, else (a service token) the client itself.</summary>
    private static string ByOf(string? by, string client) => by ?? (client == SimulatedConnection.UiClient ? "28AF22BA5DE6B0B40A494036@AdobeID" : client);

    private static async Task<JsonNode?> ReadJsonAsync(HttpContext http)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult NotFound(string id) => FlowError(404, "1439-404", "Resource not found", $"Connection {id} not found.");

    private static IResult Gateway(int status, string code, string message) =>
        Results.Json(new { error_code = code, message }, statusCode: status);

    private static IResult FlowError(int status, string code, string title, string detail) => Results.Json(
        new JsonObject
        {
            ["type"] = $"https://ns.adobe.com/aep/errors/FLOW-{code}",
            ["title"] = title,
            ["status"] = status,
            ["report"] = new JsonObject { ["detailed-message"] = detail, ["request-id"] = Guid.NewGuid().ToString("N") },
            ["errorMessage"] = title,
            ["errorDetails"] = detail,
        },
        statusCode: status);

    [GeneratedRegex("^(?<field>[A-Za-z.]+)==(?<value>.+)$")]
    private static partial Regex PropertyFilter();

    [GeneratedRegex(@"^https://[a-z0-9]{3,24}\.dfs\.core\.windows\.net/?$")]
    private static partial Regex AdlsUrl();

    [GeneratedRegex("^[a-z][a-z0-9-]{0,255}$")]
    private static partial Regex SandboxName();
}
