using System.Text.Json.Nodes;

namespace AdlsOnboarding.Simulator.KeyVault;

/// <summary>
/// The part of the Key Vault secrets REST protocol the product uses: <c>GET /secrets/{name}[/{version}]</c> with
/// the bearer challenge (401 + <c>WWW-Authenticate</c>) that the real <c>SecretClient</c> answers, attributes with
/// <c>enabled</c>/<c>exp</c>/<c>nbf</c> as Unix seconds, <c>GET /secrets/{name}/versions</c> (properties only, no
/// values), and Key Vault's error bodies. Must be served over https.
/// </summary>
public static class KeyVaultStubEndpoints
{
    public static WebApplication MapKeyVaultStub(this WebApplication app, KeyVaultStubState state)
    {
        app.MapGet("/secrets/{name}", http => Serve(http, state, (string)http.GetRouteValue("name")!, null));
        app.MapGet("/secrets/{name}/versions", async http =>
        {
            IResult result = Authorize(http, state, out bool hadToken) ?? Versions(http, state, (string)http.GetRouteValue("name")!);
            await result.ExecuteAsync(http);
            state.Record(http.Request.Path, http.Response.StatusCode, hadToken);
        });
        app.MapGet("/secrets/{name}/{version}", http => Serve(http, state, (string)http.GetRouteValue("name")!, (string?)http.GetRouteValue("version")));
        return app;
    }

    private static async Task Serve(HttpContext http, KeyVaultStubState state, string name, string? version)
    {
        IResult result = Answer(http, state, name, version, out bool hadToken);
        await result.ExecuteAsync(http);
        state.Record(http.Request.Path, http.Response.StatusCode, hadToken);
    }

    /// <summary>The checks every request passes: api-version, bearer token (challenge), RBAC, injected faults.</summary>
    private static IResult? Authorize(HttpContext http, KeyVaultStubState state, out bool hadToken)
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

        if (state.ForbiddenByRbac)
        {
            // What Key Vault answers while the caller's role assignment is missing or not yet effective.
            return Results.Json(
                new JsonObject { ["error"] = new JsonObject { ["code"] = "Forbidden", ["message"] = "Caller is not authorized to perform action on resource.", ["innererror"] = new JsonObject { ["code"] = "ForbiddenByRbac" } } },
                statusCode: 403);
        }

        if (state.NextFault() is { } fault)
        {
            if (fault.RetryAfterSeconds is { } seconds)
            {
                http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Error(fault.Status, fault.Status == 429 ? "Throttled" : "ServiceUnavailable", "Injected by the stub.");
        }

        return null;
    }

    private static IResult Versions(HttpContext http, KeyVaultStubState state, string name)
    {
        IReadOnlyList<StubSecretVersion> versions = state.Versions(name);
        if (versions.Count == 0)
        {
            return Error(404, "SecretNotFound", $"A secret with (name/id) {name} was not found in this key vault.");
        }

        string vault = $"{http.Request.Scheme}://{http.Request.Host}";
        return Results.Json(new JsonObject
        {
            ["value"] = new JsonArray([.. versions.Select(v => (JsonNode)new JsonObject { ["id"] = $"{vault}/secrets/{name}/{v.Version}", ["attributes"] = Attributes(v) })]),
            ["nextLink"] = null,
        });
    }

    private static IResult Answer(HttpContext http, KeyVaultStubState state, string name, string? version, out bool hadToken)
    {
        if (Authorize(http, state, out hadToken) is { } refused)
        {
            return refused;
        }

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

        string vault = $"{http.Request.Scheme}://{http.Request.Host}";

        // Key Vault answers 200 for an expired secret; the caller must check "exp" itself.
        return Results.Json(new JsonObject
        {
            ["value"] = secret.Value,
            ["id"] = $"{vault}/secrets/{name}/{secret.Version}",
            ["attributes"] = Attributes(secret),
        });
    }

    private static JsonObject Attributes(StubSecretVersion secret)
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

        return attributes;
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }, statusCode: status);
}
