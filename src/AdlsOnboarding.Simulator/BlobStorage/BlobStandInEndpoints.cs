using System.Globalization;
using System.Text;
using System.Xml.Linq;
using AdlsOnboarding.Simulator.Entra;

namespace AdlsOnboarding.Simulator.BlobStorage;

/// <summary>
/// The Blob service's "List Containers" operation, <c>GET /{account}/?comp=list</c>, path-style as Azure Storage
/// serves IP-addressed endpoints (Azurite does the same), for the accounts in <see cref="BlobStandInState"/>.
/// Checks what Azure checks, in its order: the account's network rules (403 <c>AuthorizationFailure</c>), the
/// bearer token (401 with <c>WWW-Authenticate</c>, a token of another tenant included), the caller's data role
/// (403 <c>AuthorizationPermissionMismatch</c>); answers the documented XML with <c>x-ms-version</c> and
/// <c>x-ms-request-id</c>, and storage error XML with <c>x-ms-error-code</c>. An unknown account drops the
/// connection, as a name that does not resolve would.
/// </summary>
public static class BlobStandInEndpoints
{
    public static WebApplication MapBlobStandIn(this WebApplication app, BlobStandInState state, EntraStandInState entra)
    {
        // Matches "/{account}" and "/{account}/" alike.
        app.MapGet("/{account}", http => ServeAsync(http, state, entra));
        return app;
    }

    private static async Task ServeAsync(HttpContext http, BlobStandInState state, EntraStandInState entra)
    {
        DateTimeOffset received = DateTimeOffset.UtcNow;
        string account = (string)http.GetRouteValue("account")!;
        string? version = http.Request.Headers["x-ms-version"].FirstOrDefault();
        bool hadToken = http.Request.Headers.Authorization.Count > 0;
        string? code = null;
        int status = 0;
        try
        {
            http.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString("D");
            if (version is not null)
            {
                http.Response.Headers["x-ms-version"] = version;
            }

            BlobFault? fault = state.NextFault();
            switch (fault?.Kind)
            {
                case BlobFaultKind.Reset:
                    http.Abort();
                    return;
                case BlobFaultKind.Hang:
                    await Task.Delay(state.HangDuration, http.RequestAborted);
                    http.Abort();
                    return;
            }

            StandInAccount? target = state.FindAccount(account);
            if (target is null)
            {
                http.Abort();
                return;
            }

            IResult result = fault is not null ? FaultAnswer(http, fault, out code) : Answer(http, target, entra, version, out code);
            await result.ExecuteAsync(http);
            status = http.Response.StatusCode;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            status = 0;
        }
        finally
        {
            state.Record(new BlobCall(received, http.Request.Method, account, http.Request.QueryString.Value ?? "", version, hadToken, status, code));
        }
    }

    private static IResult Answer(HttpContext http, StandInAccount account, EntraStandInState entra, string? version, out string? code)
    {
        if (string.IsNullOrEmpty(version))
        {
            return Error(http, 400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.", out code, new XElement("HeaderName", "x-ms-version"));
        }

        if (http.Request.Query["comp"] != "list")
        {
            return Error(http, 400, "InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid.", out code, new XElement("QueryParameterName", "comp"));
        }

        // The firewall is evaluated before the credentials: a refused network sees the same answer with any token.
        if (account.NetworkRulesDenyCaller)
        {
            return Error(http, 403, "AuthorizationFailure", "This request is not authorized to perform this operation.", out code);
        }

        string? authorization = http.Request.Headers.Authorization.FirstOrDefault();
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            Challenge(http, account);
            return Error(http, 401, "NoAuthenticationInformation", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.", out code);
        }

        IssuedToken? token = entra.Validate(authorization["Bearer ".Length..]);
        string? failure = token switch
        {
            null => "Signature validation failed. Signature is invalid.",
            _ when !string.Equals(token.Resource, EntraStandInState.StorageResource, StringComparison.OrdinalIgnoreCase) => "Audience validation failed. Audience did not match.",
            _ when !string.Equals(token.TenantId, account.TenantId, StringComparison.OrdinalIgnoreCase) => "Issuer validation failed. Issuer did not match.",
            _ => null,
        };
        if (failure is not null)
        {
            Challenge(http, account);
            return Error(http, 401, "InvalidAuthenticationInfo", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.", out code, new XElement("AuthenticationErrorDetail", failure));
        }

        if (!account.CanRead(token!.ClientId))
        {
            return Error(http, 403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.", out code);
        }

        code = null;
        return ListContainers(http, account);
    }

    /// <summary>The documented <c>EnumerationResults</c>, honouring <c>prefix</c>, <c>marker</c> and <c>maxresults</c>.</summary>
    private static IResult ListContainers(HttpContext http, StandInAccount account)
    {
        string? prefix = http.Request.Query["prefix"].FirstOrDefault();
        string? marker = http.Request.Query["marker"].FirstOrDefault();
        int max = int.TryParse(http.Request.Query["maxresults"], NumberStyles.None, CultureInfo.InvariantCulture, out int m) && m > 0 ? Math.Min(m, 5000) : 5000;
        List<string> matching = account.Containers
            .Where(c => prefix is null || c.StartsWith(prefix, StringComparison.Ordinal))
            .Where(c => marker is null || string.CompareOrdinal(c, marker) >= 0)
            .ToList();
        List<string> page = matching.Take(max).ToList();
        string lastModified = DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture);

        XElement root = new("EnumerationResults", new XAttribute("ServiceEndpoint", $"{http.Request.Scheme}://{http.Request.Host}/{account.Name}/"));
        if (prefix is not null)
        {
            root.Add(new XElement("Prefix", prefix));
        }

        if (marker is not null)
        {
            root.Add(new XElement("Marker", marker));
        }

        if (http.Request.Query.ContainsKey("maxresults"))
        {
            root.Add(new XElement("MaxResults", max));
        }

        root.Add(new XElement("Containers", page.Select(name => new XElement(
            "Container",
            new XElement("Name", name),
            new XElement(
                "Properties",
                new XElement("Last-Modified", lastModified),
                new XElement("Etag", "\"0x8DC0000000000000\""),
                new XElement("LeaseStatus", "unlocked"),
                new XElement("LeaseState", "available"),
                new XElement("DefaultEncryptionScope", "$account-encryption-key"),
                new XElement("DenyEncryptionScopeOverride", "false"),
                new XElement("HasImmutabilityPolicy", "false"),
                new XElement("HasLegalHold", "false"))))));
        root.Add(new XElement("NextMarker", matching.Count > page.Count ? matching[page.Count] : ""));
        return Xml(http, 200, root);
    }

    private static IResult FaultAnswer(HttpContext http, BlobFault fault, out string? code)
    {
        if (fault.RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        (string errorCode, string message) = (fault.Status, fault.Code) switch
        {
            (_, "ServerBusy") or (503, null) => ("ServerBusy", "The server is currently unable to receive requests. Please retry your request."),
            (500, null) => ("InternalError", "The server encountered an internal error. Please retry the request."),
            (429, null) => ("TooManyRequests", "The request rate is too large. Please retry your request."),
            (_, { } given) => (given, "Injected by the stand-in."),
            _ => ("InternalError", "The server encountered an internal error. Please retry the request."),
        };
        return Error(http, fault.Status, errorCode, message, out code);
    }

    private static void Challenge(HttpContext http, StandInAccount account) =>
        http.Response.Headers.WWWAuthenticate = $"Bearer authorization_uri=https://login.microsoftonline.com/{account.TenantId}/oauth2/authorize resource_id={EntraStandInState.StorageResource}";

    /// <summary>Azure Storage's error XML, with the request id and time in the message, and <c>x-ms-error-code</c>.</summary>
    private static IResult Error(HttpContext http, int status, string errorCode, string message, out string? code, params XElement[] details)
    {
        code = errorCode;
        http.Response.Headers["x-ms-error-code"] = errorCode;
        string requestId = http.Response.Headers["x-ms-request-id"].FirstOrDefault() ?? Guid.NewGuid().ToString("D");
        string time = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        XElement error = new("Error", new XElement("Code", errorCode), new XElement("Message", $"{message}\nRequestId:{requestId}\nTime:{time}"));
        error.Add(details);
        return Xml(http, status, error);
    }

    private static IResult Xml(HttpContext http, int status, XElement root)
    {
        http.Response.Headers.Date = DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture);
        string body = new XDeclaration("1.0", "utf-8", null) + root.ToString(SaveOptions.DisableFormatting);
        return Results.Text(body, "application/xml", Encoding.UTF8, status);
    }
}
