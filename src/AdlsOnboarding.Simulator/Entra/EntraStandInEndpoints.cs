using System.Globalization;
using System.Text.Json.Nodes;

namespace AdlsOnboarding.Simulator.Entra;

/// <summary>
/// Microsoft Entra ID's v2.0 token endpoint, <c>POST /{tenant}/oauth2/v2.0/token</c>, for the client-credentials
/// grant with a client secret: what <c>ClientSecretCredential</c> (MSAL) sends when its authority host points here
/// and instance discovery is disabled, which is the only request it makes. Errors have Entra's body:
/// <c>error</c>, <c>error_description</c> starting with <c>AADSTS…:</c>, <c>error_codes</c>, trace and
/// correlation ids. Must be served over https (MSAL refuses anything else).
/// </summary>
public static class EntraStandInEndpoints
{
    public const string TokenPathTemplate = "/{tenant}/oauth2/v2.0/token";

    public static WebApplication MapEntraStandIn(this WebApplication app, EntraStandInState state)
    {
        app.MapPost(TokenPathTemplate, http => ServeAsync(http, state));
        return app;
    }

    private static async Task ServeAsync(HttpContext http, EntraStandInState state)
    {
        DateTimeOffset received = DateTimeOffset.UtcNow;
        IReadOnlyList<string> fields = [];
        string? code = null;
        int status = 0;
        try
        {
            IFormCollection? form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
            fields = form?.Keys.Order(StringComparer.Ordinal).ToList() ?? [];
            EntraFault? fault = state.NextFault();
            switch (fault?.Kind)
            {
                case EntraFaultKind.Reset:
                    http.Abort();
                    return;
                case EntraFaultKind.Hang:
                    await Task.Delay(state.HangDuration, http.RequestAborted);
                    http.Abort();
                    return;
            }

            IResult result = fault is not null ? FaultAnswer(http, fault, out code) : Answer(http, state, (string)http.GetRouteValue("tenant")!, form, out code);
            await result.ExecuteAsync(http);
            status = http.Response.StatusCode;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            status = 0;
        }
        finally
        {
            state.Record(new EntraCall(received, http.Request.Method, http.Request.Path + http.Request.QueryString, fields, status, code));
        }
    }

    private static IResult Answer(HttpContext http, EntraStandInState state, string tenantName, IFormCollection? form, out string? code)
    {
        code = null;
        if (form is null)
        {
            return Error(http, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.", out code);
        }

        foreach (string required in new[] { "grant_type", "client_id", "scope" })
        {
            if (string.IsNullOrEmpty(form[required]))
            {
                return Error(http, 400, "invalid_request", 900144, $"The request body must contain the following parameter: '{required}'.", out code);
            }
        }

        if (form["grant_type"] != "client_credentials")
        {
            return Error(http, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.", out code);
        }

        StandInTenant? tenant = state.FindTenant(tenantName);
        if (tenant is null)
        {
            return Error(http, 400, "invalid_request", 90002,
                $"Tenant '{tenantName}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", out code);
        }

        string clientId = form["client_id"]!;
        StandInApp? app = tenant.FindApp(clientId);
        if (app is null)
        {
            return Error(http, 400, "unauthorized_client", 700016,
                $"Application with identifier '{clientId}' was not found in the directory '{tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", out code);
        }

        if (app.Disabled)
        {
            return Error(http, 400, "unauthorized_client", 7000112, $"Application '{app.ClientId}'({app.DisplayName}) is disabled.", out code);
        }

        string? secret = form["client_secret"];
        if (string.IsNullOrEmpty(secret))
        {
            return Error(http, 401, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.", out code);
        }

        StandInSecret? match = app.FindSecret(secret);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (match?.ExpiresOn is { } expires && expires <= now)
        {
            return Error(http, 401, "invalid_client", 7000222,
                $"The provided client secret keys for app '{app.ClientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", out code);
        }

        if (match is null || match.ActiveFrom > now)
        {
            return Error(http, 401, "invalid_client", 7000215,
                $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app.ClientId}'.", out code);
        }

        string scope = form["scope"]!;
        if (!scope.EndsWith("/.default", StringComparison.Ordinal) || scope.Contains(' ', StringComparison.Ordinal))
        {
            return Error(http, 400, "invalid_scope", 1002012,
                $"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", out code);
        }

        string resource = scope[..^"/.default".Length];
        if (!string.Equals(resource, EntraStandInState.StorageResource, StringComparison.OrdinalIgnoreCase))
        {
            return Error(http, 400, "invalid_resource", 500011,
                $"The resource principal named {resource} was not found in the tenant named {tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", out code);
        }

        if (app.BlockedByConditionalAccess)
        {
            return Error(http, 400, "invalid_grant", 53003, "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.", out code);
        }

        string token = state.IssueToken(tenant, app, EntraStandInState.StorageResource);
        long lifetime = (long)state.TokenLifetime.TotalSeconds;
        return Results.Json(new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = lifetime,
            ["ext_expires_in"] = lifetime,
            ["access_token"] = token,
        });
    }

    private static IResult FaultAnswer(HttpContext http, EntraFault fault, out string? code)
    {
        if (fault.RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (fault.AadstsCode is { } aadsts)
        {
            return Error(http, fault.Status, fault.Error ?? "invalid_request", aadsts, fault.Description ?? "Injected by the stand-in.", out code);
        }

        return fault.Status == 429
            ? Error(http, 429, "temporarily_unavailable", 90055, "TenantThrottlingThreshold: the number of requests from the tenant has exceeded the limit. Retry later.", out code)
            : Error(http, fault.Status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.", out code);
    }

    /// <summary>Entra's error body, with the trace and correlation ids and the timestamp in the description too.</summary>
    private static IResult Error(HttpContext http, int status, string error, int aadsts, string text, out string? code)
    {
        code = "AADSTS" + aadsts.ToString(CultureInfo.InvariantCulture);
        string traceId = Guid.NewGuid().ToString("D");
        string correlationId = http.Request.Headers["client-request-id"].FirstOrDefault() is { Length: > 0 } sent ? sent : Guid.NewGuid().ToString("D");
        string timestamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return Results.Json(
            new JsonObject
            {
                ["error"] = error,
                ["error_description"] = $"{code}: {text}\r\nTrace ID: {traceId}\r\nCorrelation ID: {correlationId}\r\nTimestamp: {timestamp}",
                ["error_codes"] = new JsonArray(aadsts),
                ["timestamp"] = timestamp,
                ["trace_id"] = traceId,
                ["correlation_id"] = correlationId,
                ["error_uri"] = $"https://login.microsoftonline.com/error?code={aadsts.ToString(CultureInfo.InvariantCulture)}",
            },
            statusCode: status);
    }
}
