using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AdlsOnboarding.Simulator.KeyVault;

/// <summary>
/// The part of the Key Vault secrets REST protocol the product uses: <c>GET /secrets/{name}[/{version}]</c> with
/// the bearer challenge (401 + <c>WWW-Authenticate</c>) that the real <c>SecretClient</c> answers, attributes with
/// <c>enabled</c>/<c>exp</c>/<c>nbf</c> as Unix seconds, tags, <c>GET /secrets/{name}/versions</c> (properties and
/// tags only, never values; at most <c>maxresults</c> (1-25, default 25) per page, in version-id order as Key Vault
/// lists them, the next page behind an absolute <c>nextLink</c> with a <c>$skiptoken</c>), and Key Vault's error
/// bodies. Must be served over https.
/// </summary>
public static class KeyVaultStubEndpoints
{
    public const int MaxPageSize = 25;

    public static WebApplication MapKeyVaultStub(this WebApplication app, KeyVaultStubState state)
    {
        app.MapGet("/secrets/{name}/versions", http => Serve(http, state, name => Versions(http, state, name)));
        app.MapGet("/secrets/{name}", http => Serve(http, state, name => Secret(http, state, name, null)));
        app.MapGet("/secrets/{name}/{version}", http => Serve(http, state, name => Secret(http, state, name, (string?)http.GetRouteValue("version"))));
        return app;
    }

    private static async Task Serve(HttpContext http, KeyVaultStubState state, Func<string, IResult> answer)
    {
        string name = (string)http.GetRouteValue("name")!;
        IResult result = Authorize(http, state, name, out bool hadToken) ?? answer(name);
        await result.ExecuteAsync(http);
        state.Record(http.Request.Path, http.Response.StatusCode, hadToken);
    }

    /// <summary>The checks every request passes: api-version, bearer token (challenge), RBAC, injected faults.</summary>
    private static IResult? Authorize(HttpContext http, KeyVaultStubState state, string name, out bool hadToken)
    {
        string? authorization = http.Request.Headers.Authorization.FirstOrDefault();
        hadToken = authorization is not null;
        if (string.IsNullOrEmpty(http.Request.Query["api-version"]))
        {
            return Error(400, "BadParameter", "The request URI contains an invalid api-version.");
        }

        if (authorization != $"Bearer {state.AcceptedToken}")
        {
            http.Response.Headers.WWWAuthenticate =
                $"Bearer authorization=\"https://login.microsoftonline.com/{state.TenantId}\", resource=\"https://vault.azure.net\"";
            return Error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
        }

        if (state.IsForbidden(name))
        {
            // What Key Vault answers when a secret-scoped role assignment does not cover the caller.
            return Results.Json(
                new JsonObject { ["error"] = new JsonObject { ["code"] = "Forbidden", ["message"] = "Caller is not authorized to perform action on resource.", ["innererror"] = new JsonObject { ["code"] = "ForbiddenByRbac" } } },
                statusCode: 403);
        }

        if (state.NextFault() is { } fault)
        {
            if (fault.RetryAfterSeconds is { } seconds)
            {
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }

            return Error(fault.Status, fault.Status == 429 ? "Throttled" : "ServiceUnavailable", "Injected by the stub.");
        }

        return null;
    }

    private static IResult Versions(HttpContext http, KeyVaultStubState state, string name)
    {
        int pageSize = MaxPageSize;
        string? maxResults = http.Request.Query["maxresults"];
        if (maxResults is not null && (!int.TryParse(maxResults, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            return Error(400, "BadParameter", "Invalid value for maxresults: it must be between 1 and 25.");
        }

        int offset = 0;
        string? skipToken = http.Request.Query["$skiptoken"];
        if (skipToken is not null && !TryReadSkipToken(skipToken, out offset))
        {
            return Error(400, "BadParameter", "The skip token is not valid.");
        }

        IReadOnlyList<StubSecretVersion> versions = state.Versions(name);
        if (versions.Count == 0)
        {
            return Error(404, "SecretNotFound", $"A secret with (name/id) {name} was not found in this key vault.");
        }

        string vault = $"{http.Request.Scheme}://{http.Request.Host}";
        List<StubSecretVersion> page = [.. versions.Skip(offset).Take(pageSize)];
        string? nextLink = offset + page.Count < versions.Count
            ? $"{vault}/secrets/{name}/versions?api-version={Uri.EscapeDataString(http.Request.Query["api-version"]!)}&$skiptoken={Uri.EscapeDataString(SkipToken(offset + page.Count))}"
              + (maxResults is null ? "" : $"&maxresults={pageSize}")
            : null;
        return Results.Json(new JsonObject
        {
            ["value"] = new JsonArray([.. page.Select(v => (JsonNode)Item(vault, name, v))]),
            ["nextLink"] = nextLink,
        });
    }

    private static IResult Secret(HttpContext http, KeyVaultStubState state, string name, string? version)
    {
        StubSecretVersion? secret = state.Get(name, version);
        if (secret is null)
        {
            return Error(404, "SecretNotFound", $"A secret with (name/id) {name}{(version is null ? "" : "/" + version)} was not found in this key vault.");
        }

        if (!secret.Enabled)
        {
            return Results.Json(
                new JsonObject { ["error"] = new JsonObject { ["code"] = "Forbidden", ["message"] = "Operation get is not allowed on a disabled secret.", ["innererror"] = new JsonObject { ["code"] = "SecretDisabled" } } },
                statusCode: 403);
        }

        // Key Vault answers 200 for an expired secret; the caller must check "exp" itself.
        JsonObject bundle = Item($"{http.Request.Scheme}://{http.Request.Host}", name, secret);
        bundle["value"] = secret.Value;
        return Results.Json(bundle);
    }

    /// <summary>A version as the versions list shows it: id, attributes and (if any) tags, no value.</summary>
    private static JsonObject Item(string vault, string name, StubSecretVersion secret)
    {
        JsonObject attributes = new()
        {
            ["enabled"] = secret.Enabled,
            ["created"] = secret.Created.ToUnixTimeSeconds(),
            ["updated"] = secret.Created.ToUnixTimeSeconds(),
            ["recoveryLevel"] = "Recoverable+Purgeable",
        };
        if (secret.ExpiresOn is { } exp)
        {
            attributes["exp"] = exp.ToUnixTimeSeconds();
        }

        if (secret.NotBefore is { } nbf)
        {
            attributes["nbf"] = nbf.ToUnixTimeSeconds();
        }

        JsonObject item = new() { ["id"] = $"{vault}/secrets/{name}/{secret.Version}", ["attributes"] = attributes };
        if (secret.Tags.Count > 0)
        {
            item["tags"] = new JsonObject([.. secret.Tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)JsonValue.Create(t.Value)))]);
        }

        return item;
    }

    // Opaque to clients, as Key Vault's own (base64 of a JSON marker).
    private static string SkipToken(int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { NextMarker = offset, TargetLocation = 0 })));

    private static bool TryReadSkipToken(string token, out int offset)
    {
        offset = 0;
        try
        {
            using JsonDocument document = JsonDocument.Parse(Convert.FromBase64String(token));
            return document.RootElement.TryGetProperty("NextMarker", out JsonElement marker) && marker.TryGetInt32(out offset) && offset >= 0;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }, statusCode: status);
}
