using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Preflight;
using Microsoft.OpenApi;

namespace AdlsOnboarding.Api;

/// <summary>
/// The OpenAPI description of the whole HTTP API, one source for both hosts: version 3.0 at
/// <c>/api/openapi.json</c> and 2.0 at <c>/api/swagger.json</c> (Logic Apps custom connectors import 2.0 only).
/// The same documents are checked in under <c>docs/</c>; a test keeps them, the routes and this class in step.
/// The 2.0 document carries what a custom connector shows its users: a host to replace on import, a title
/// (<c>x-ms-summary</c>) for each parameter, a description for each operation, and the operations a workflow never
/// calls itself hidden (<c>x-ms-visibility: internal</c>: the status URL, which the HTTP action polls on its own, and
/// the documents).
/// </summary>
public static class OnboardingOpenApi
{
    public const string OpenApiRoute = "openapi.json";
    public const string SwaggerRoute = "swagger.json";

    /// <summary>Stands for the Function App's host name; replace it when importing the document as a connector.</summary>
    public const string PlaceholderHost = "your-function-app.azurewebsites.net";

    /// <summary>The 422's errorCode: Adobe's codes and ours, the pre-flight's listed one by one (docs/preflight.md says what to do about each).</summary>
    private static readonly string ErrorCodeDescription =
        "422: Adobe's error code (e.g. 2118-403) or ours (SecretUnavailable, SecretExpired, ConnectionConflict, ConnectionNotFound, ...). The pre-flight (docs/preflight.md), run before a key is sent to Adobe, fails with "
        + string.Join(", ", typeof(PreflightErrorCodes).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!))
        + "; nothing is sent to Adobe then.";

    /// <summary>The warning of a connected account: its codes (docs/preflight.md), each as "code: sentence".</summary>
    private static readonly string WarningDescription =
        "A warning on a connected account, as '<code>: <sentence>' (several joined by a space): "
        + string.Join(", ", typeof(PreflightWarningCodes).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!))
        + " (docs/preflight.md); or several connections already pointed at this account.";

    private static readonly Lazy<Task<string>> V3 = new(() => SerializeAsync(OpenApiSpecVersion.OpenApi3_0));
    private static readonly Lazy<Task<string>> V2 = new(() => SerializeAsync(OpenApiSpecVersion.OpenApi2_0));

    /// <summary>Every route of the API, as <c>(method, path)</c>; both hosts map exactly these.</summary>
    public static IReadOnlyList<(string Method, string Path)> Routes { get; } =
    [
        ("POST", "/api/" + OnboardingApi.OnboardingsRoute),
        ("GET", "/api/" + OnboardingApi.StatusRoute),
        ("PUT", "/api/" + AccountsApi.AccountRoute),
        ("GET", "/api/" + AccountsApi.AccountRoute),
        ("DELETE", "/api/" + AccountsApi.AccountRoute),
        ("GET", "/api/" + AccountsApi.AccountsRoute),
        ("GET", "/api/" + OpenApiRoute),
        ("GET", "/api/" + SwaggerRoute),
    ];

    public static Task<string> OpenApi3JsonAsync() => V3.Value;

    public static Task<string> Swagger2JsonAsync() => V2.Value;

    public static OpenApiDocument Build()
    {
        OpenApiDocument document = new()
        {
            Info = new OpenApiInfo
            {
                Title = "AdlsOnboarding",
                Version = "1.0.0",
                Description = "Onboards Azure Data Lake Storage Gen2 accounts to Adobe Experience Platform: one Flow Service base connection per account, keys read from Azure Key Vault. Long-running: POST answers 202 with a signed status URL to poll (asynchronous request-reply).",
            },
            Components = new OpenApiComponents
            {
                Schemas = new Dictionary<string, IOpenApiSchema>(),
                SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    ["functionKey"] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey,
                        In = ParameterLocation.Header,
                        Name = "x-functions-key",
                        Description = "An Azure Functions function or host key (local host: LocalHost:ApiKey).",
                    },
                },
            },
            Paths = new OpenApiPaths(),
            Servers = [new OpenApiServer { Url = "https://" + PlaceholderHost + "/", Description = "The Function App (azd env get-value AZURE_FUNCTION_APP_URL)." }],
        };

        IDictionary<string, IOpenApiSchema> schemas = document.Components.Schemas;
        schemas["OnboardingRequest"] = Object(
            "An ADLS Gen2 account to onboard. Values are taken exactly as sent: whitespace at either end or a control character anywhere is a 400, never trimmed.",
            ["storageAccountUrl", "clientId", "tenant", "secretName", "sandbox"],
            ("storageAccountUrl", String("The account's ADLS Gen2 endpoint, exactly https://<account>.dfs.core.windows.net (one trailing / is dropped).", pattern: ValidationRules.StorageAccountUrlPattern)),
            ("clientId", ClientId()),
            ("tenant", Tenant()),
            ("secretName", SecretName()),
            ("secretVersion", SecretVersion()),
            ("sandbox", String($"The Experience Platform sandbox (at most {ValidationRules.MaxSandboxLength} characters, so that every instance id of the account fits).", pattern: ValidationRules.SandboxPattern, maxLength: ValidationRules.MaxSandboxLength)),
            ("connectionName", ConnectionName()),
            ("description", Description()),
            ("adoptConnectionId", AdoptConnectionId()));
        schemas["OnboardingAccepted"] = Object(
            "The onboarding runs; poll statusUrl.",
            ["instanceId", "status", "statusUrl"],
            ("instanceId", String("onboard-<sandbox>-<account>.")),
            ("status", String("Durable runtime status: Pending or Running.")),
            ("statusUrl", String("Signed, short-lived status URL; needs no key.", format: "uri")));
        schemas["OnboardingResult"] = Object(
            "The account is connected (Connected), or offboarded (Offboarded).",
            ["instanceId", "status", "sandbox", "accountName"],
            ("instanceId", String("The onboarding's instance id.")),
            ("status", String("Connected or Offboarded.")),
            ("sandbox", String("The Experience Platform sandbox.")),
            ("accountName", String("The storage account name.")),
            ("connectionId", String("The Adobe base connection id (offboarding: the deleted one, null if there was none).", nullable: true)),
            ("etag", String("The connection's etag, quotes included.", nullable: true)),
            ("connectionName", String("The Adobe connection's name.", nullable: true)),
            ("action", String("What happened to the connection: created, reused, updated; offboarding: deleted, alreadyDeleted, noConnection.", nullable: true, values: ["created", "reused", "updated", "deleted", "alreadyDeleted", "noConnection"])),
            ("credentialTestPassed", new OpenApiSchema { Type = JsonSchemaType.Boolean | JsonSchemaType.Null, Description = "Adobe's /test result; null when it could not be made." }),
            ("secretVersion", String("The key version sent to Adobe.", nullable: true)),
            ("warning", String(WarningDescription, nullable: true)),
            ("adobeCanList", new OpenApiSchema { Type = JsonSchemaType.Boolean | JsonSchemaType.Null, Description = "After a create: whether Adobe could list the account with the connection's credentials (explore); null when not asked or no answer." }),
            ("completedAt", String("When the onboarding finished.", format: "date-time")));
        schemas["AccountRegistration"] = Object(
            "An account to register; the sandbox and account name come from the path. Values are taken exactly as sent, as in OnboardingRequest.",
            ["clientId", "tenant", "secretName"],
            ("storageAccountUrl", String("Optional; if given, must be https://<account>.dfs.core.windows.net for the account in the path.", pattern: ValidationRules.StorageAccountUrlPattern, nullable: true)),
            ("clientId", ClientId()),
            ("tenant", Tenant()),
            ("secretName", SecretName()),
            ("secretVersion", SecretVersion()),
            ("connectionName", ConnectionName()),
            ("description", Description()),
            ("adoptConnectionId", AdoptConnectionId()));
        schemas["Account"] = Object(
            "An account's registration and onboarding state.",
            ["sandbox", "accountName", "status"],
            ("sandbox", String("The Experience Platform sandbox.")),
            ("accountName", String("The storage account name.")),
            ("storageAccountUrl", String("The ADLS Gen2 endpoint.", nullable: true)),
            ("clientId", String("The service principal's client id.", nullable: true)),
            ("tenant", String("The service principal's tenant.", nullable: true)),
            ("secretName", String("The Key Vault secret with the key.", nullable: true)),
            ("secretVersion", String("The key version last sent to Adobe.", nullable: true)),
            ("connectionName", String("The Adobe connection's name.", nullable: true)),
            ("description", String("The Adobe connection's description.", nullable: true)),
            ("adoptConnectionId", String("The connection the registration asks to adopt, if any.", nullable: true)),
            ("status", String("Pending, Onboarding, Connected, Failed, Offboarding or Offboarded.", values: Enum.GetNames<OnboardingStatus>())),
            ("lastAction", String("The last thing that happened to the record.", nullable: true)),
            ("connectionId", String("The Adobe base connection id.", nullable: true)),
            ("connectionEtag", String("The connection's etag.", nullable: true)),
            ("credentialTestPassed", new OpenApiSchema { Type = JsonSchemaType.Boolean | JsonSchemaType.Null }),
            ("attemptCount", new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int32" }),
            ("errorCode", String("Adobe's or our error code of the last failure.", nullable: true)),
            ("errorMessage", String("What failed.", nullable: true)),
            ("willRetry", new OpenApiSchema { Type = JsonSchemaType.Boolean | JsonSchemaType.Null, Description = "Failed only: whether the sweep will try again (transient cause)." }),
            ("nextAttemptAt", String("Failed and retriable, or Connected with a pendingSecretVersion: when the sweep may try again.", format: "date-time", nullable: true)),
            ("warning", String(WarningDescription, nullable: true)),
            ("adobeCanList", new OpenApiSchema { Type = JsonSchemaType.Boolean | JsonSchemaType.Null, Description = "After the create: whether Adobe could list the account with the connection's credentials (explore); null when not known." }),
            ("pendingSecretVersion", String("Connected: a key version a rotation did not send (RotationKeyRefused or RotationKeyPending); Adobe keeps secretVersion.", nullable: true)),
            ("instanceId", String("The last onboarding's instance id.", nullable: true)),
            ("traceId", String("W3C trace id of the last operation (Application Insights operation_Id).", nullable: true)),
            ("createdAt", String("When the record was created.", format: "date-time", nullable: true)),
            ("updatedAt", String("When the record last changed.", format: "date-time", nullable: true)));
        schemas["AccountPage"] = Object(
            "One page of accounts.",
            ["items"],
            ("items", new OpenApiSchema { Type = JsonSchemaType.Array, Items = Ref("Account", document) }),
            ("continuationToken", String("Pass as continuationToken for the next page; null on the last page.", nullable: true)));
        schemas["ProblemDetails"] = Object(
            "RFC 9457 problem details (application/problem+json).",
            ["type", "title", "status"],
            ("type", String("A URN naming the problem.")),
            ("title", String("Short summary.")),
            ("status", new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" }),
            ("detail", String("Explanation.", nullable: true)),
            ("instanceId", String("The onboarding concerned, where there is one.", nullable: true)),
            ("statusUrl", String("409: the running onboarding's status URL.", nullable: true)),
            ("errorCode", String(ErrorCodeDescription, nullable: true)));
        schemas["ValidationProblemDetails"] = Object(
            "400: each bad field and what is wrong with it; nothing was started.",
            ["type", "title", "status", "errors"],
            ("type", String("A URN naming the problem.")),
            ("title", String("Short summary.")),
            ("status", new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" }),
            ("detail", String("Which fields are not valid.", nullable: true)),
            ("errors", new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Field name (body for unreadable JSON) to messages.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            }));

        Dictionary<string, IOpenApiHeader> pollingHeaders = new()
        {
            ["Location"] = new OpenApiHeader { Description = "The status URL to poll (fresh token).", Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri" } },
            ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before polling.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
        };

        document.Paths["/api/" + OnboardingApi.OnboardingsRoute] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Post] = new OpenApiOperation
                {
                    OperationId = "StartOnboarding",
                    Summary = "Start (or join) the onboarding of an ADLS Gen2 account",
                    Description = "One onboarding per (sandbox, account). The same request while it runs joins it (202); a different one gets 409. After it finished, a new request re-onboards: the connection is reused or updated, never duplicated.",
                    Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("functionKey", document)] = [] }],
                    RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Description = "The account to onboard.",
                        Content = new Dictionary<string, IOpenApiMediaType> { ["application/json"] = new OpenApiMediaType { Schema = Ref("OnboardingRequest", document) } },
                        Extensions = Summary("Onboarding Request"),
                    },
                    Responses = new OpenApiResponses
                    {
                        ["202"] = Response("Accepted: poll the Location URL.", "application/json", Ref("OnboardingAccepted", document), pollingHeaders),
                        ["400"] = Response("A field is not valid; nothing was started.", "application/problem+json", Ref("ValidationProblemDetails", document)),
                        ["401"] = MissingKey(document),
                        ["409"] = Problem("A different onboarding of this account is running.", document),
                        ["415"] = Problem("The body is not JSON.", document),
                        ["503"] = NotReady(document),
                    },
                },
            },
        };

        document.Paths["/api/" + OnboardingApi.StatusRoute] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new OpenApiOperation
                {
                    OperationId = "GetOnboardingStatus",
                    Summary = "Status of an onboarding or offboarding (the URL from Location)",
                    Description = "Needs no key: the token in the URL is signed for this one instance and expires. 202 while running, 200 connected (or offboarded), 422 failed (a 4xx: not to be retried). A Logic Apps HTTP action polls it by itself: hidden in connectors.",
                    Security = [],
                    Extensions = Internal(),
                    Parameters =
                    [
                        new OpenApiParameter { Name = "instanceId", In = ParameterLocation.Path, Required = true, Description = "The onboarding's instance id.", Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Extensions = Summary("Instance ID") },
                        new OpenApiParameter { Name = "token", In = ParameterLocation.Query, Required = true, Description = "The signed status token from the Location URL.", Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Extensions = Summary("Status Token") },
                    ],
                    Responses = new OpenApiResponses
                    {
                        ["200"] = Response("Connected.", "application/json", Ref("OnboardingResult", document)),
                        ["202"] = Response("Still running: poll the new Location after Retry-After.", "application/json", Ref("OnboardingAccepted", document), pollingHeaders),
                        ["401"] = Problem("The token is missing, altered or expired.", document),
                        ["404"] = Problem("No such onboarding.", document),
                        ["422"] = Problem("The onboarding failed; errorCode says why.", document),
                        ["503"] = NotReady(document),
                    },
                },
            },
        };

        OpenApiSecurityRequirement functionKey = new() { [new OpenApiSecuritySchemeReference("functionKey", document)] = [] };
        OpenApiParameter sandboxParameter = new() { Name = "sandbox", In = ParameterLocation.Path, Required = true, Description = "The Experience Platform sandbox.", Schema = SandboxName(), Extensions = Summary("Sandbox") };
        OpenApiParameter accountParameter = new() { Name = "account", In = ParameterLocation.Path, Required = true, Description = "The storage account name.", Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = ValidationRules.AccountNamePattern, MaxLength = ValidationRules.MaxAccountNameLength }, Extensions = Summary("Storage Account") };
        document.Paths["/api/" + AccountsApi.AccountRoute] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Put] = new OpenApiOperation
                {
                    OperationId = "RegisterAccount",
                    Summary = "Register or update an account; the registry sweep onboards it",
                    Description = "Idempotent. A new or changed registration is Pending until the next sweep starts its onboarding; an unchanged one is left as it is.",
                    Security = [functionKey],
                    Parameters = [sandboxParameter, accountParameter],
                    RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Description = "The account's registration.",
                        Content = new Dictionary<string, IOpenApiMediaType> { ["application/json"] = new OpenApiMediaType { Schema = Ref("AccountRegistration", document) } },
                        Extensions = Summary("Registration"),
                    },
                    Responses = new OpenApiResponses
                    {
                        ["200"] = Response("Updated (now Pending) or unchanged.", "application/json", Ref("Account", document)),
                        ["201"] = Response("Registered (Pending).", "application/json", Ref("Account", document), new Dictionary<string, IOpenApiHeader> { ["Location"] = new OpenApiHeader { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } }),
                        ["400"] = Response("A field is not valid; nothing was written.", "application/problem+json", Ref("ValidationProblemDetails", document)),
                        ["401"] = MissingKey(document),
                        ["409"] = Problem("An onboarding or offboarding of this account is scheduled or running (asked of the durable task hub, not only read from the record); nothing was written.", document),
                        ["415"] = Problem("The body is not JSON.", document),
                    },
                },
                [HttpMethod.Delete] = new OpenApiOperation
                {
                    OperationId = "OffboardAccount",
                    Summary = "Offboard an account: delete its Adobe connection, keep the record as Offboarded",
                    Description = "Long-running, like onboarding: 202 with a signed status URL (offboard-<sandbox>-<account>). Idempotent: an account already Offboarded answers 200 with its record and starts nothing; a connection already gone counts as deleted. A connection still used by dataflows (Adobe 1418-400) is left in place and the status URL answers 422.",
                    Security = [functionKey],
                    Parameters = [sandboxParameter, accountParameter],
                    Responses = new OpenApiResponses
                    {
                        ["200"] = Response("Already offboarded: the account (status Offboarded); nothing was started or sent to Adobe.", "application/json", Ref("Account", document)),
                        ["202"] = Response("Accepted: poll the Location URL.", "application/json", Ref("OnboardingAccepted", document), pollingHeaders),
                        ["400"] = Response("Not a sandbox or account name.", "application/problem+json", Ref("ValidationProblemDetails", document)),
                        ["401"] = MissingKey(document),
                        ["404"] = Problem("Not registered.", document),
                        ["409"] = Problem("Another operation of this account is running.", document),
                        ["503"] = NotReady(document),
                    },
                },
                [HttpMethod.Get] = new OpenApiOperation
                {
                    OperationId = "GetAccount",
                    Summary = "One account of the registry",
                    Description = "The account's registration and where its onboarding stands: status, connection id and etag, the last error and whether the sweep retries it.",
                    Security = [functionKey],
                    Parameters = [sandboxParameter, accountParameter],
                    Responses = new OpenApiResponses
                    {
                        ["200"] = Response("The account.", "application/json", Ref("Account", document)),
                        ["400"] = Response("Not a sandbox or account name.", "application/problem+json", Ref("ValidationProblemDetails", document)),
                        ["401"] = MissingKey(document),
                        ["404"] = Problem("Not registered.", document),
                    },
                },
            },
        };

        document.Paths["/api/" + AccountsApi.AccountsRoute] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new OpenApiOperation
                {
                    OperationId = "ListAccounts",
                    Summary = "Accounts of the registry with their status, a page at a time",
                    Description = "Filters by sandbox and status; pass continuationToken from one page to get the next (null on the last page).",
                    Security = [functionKey],
                    Parameters =
                    [
                        new OpenApiParameter { Name = "sandbox", In = ParameterLocation.Query, Description = "Only accounts of this sandbox.", Schema = SandboxName(), Extensions = Summary("Sandbox") },
                        new OpenApiParameter { Name = "status", In = ParameterLocation.Query, Description = "Only accounts with this status.", Schema = String("Only accounts with this status.", values: Enum.GetNames<OnboardingStatus>()), Extensions = Summary("Status") },
                        new OpenApiParameter { Name = "pageSize", In = ParameterLocation.Query, Description = "Accounts per page (default 100), written without sign or leading zeros.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = AccountsApi.MaxPageSize.ToString(CultureInfo.InvariantCulture) }, Extensions = Summary("Page Size") },
                        new OpenApiParameter { Name = "continuationToken", In = ParameterLocation.Query, Description = "The previous page's continuationToken.", Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Extensions = Summary("Continuation Token") },
                    ],
                    Responses = new OpenApiResponses
                    {
                        ["200"] = Response("A page of accounts.", "application/json", Ref("AccountPage", document)),
                        ["400"] = Response("A query parameter is not valid.", "application/problem+json", Ref("ValidationProblemDetails", document)),
                        ["401"] = MissingKey(document),
                    },
                },
            },
        };

        foreach ((string route, string id, string summary) in new[]
        {
            (OpenApiRoute, "GetOpenApiDocument", "This API's OpenAPI 3.0 document"),
            (SwaggerRoute, "GetSwaggerDocument", "This API's OpenAPI 2.0 (Swagger) document, for Logic Apps custom connectors"),
        })
        {
            document.Paths["/api/" + route] = new OpenApiPathItem
            {
                Operations = new Dictionary<HttpMethod, OpenApiOperation>
                {
                    [HttpMethod.Get] = new OpenApiOperation
                    {
                        OperationId = id,
                        Summary = summary,
                        Description = "The same document as docs/" + route + " in the repository.",
                        Extensions = Internal(),
                        Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("functionKey", document)] = [] }],
                        Responses = new OpenApiResponses
                        {
                            ["200"] = Response("The document.", "application/json", new OpenApiSchema { Type = JsonSchemaType.Object }),
                            ["401"] = MissingKey(document),
                        },
                    },
                },
            };
        }

        return document;
    }

    private static async Task<string> SerializeAsync(OpenApiSpecVersion version)
    {
        string json = await Build().SerializeAsJsonAsync(version);
        JsonObject root = JsonNode.Parse(json)!.AsObject();
        if (version == OpenApiSpecVersion.OpenApi2_0 && !root.ContainsKey("basePath"))
        {
            // The writer leaves basePath out for a server URL without a path; connectors want it (paths start /api/).
            JsonObject withBasePath = [];
            foreach ((string name, JsonNode? value) in root.ToList())
            {
                root.Remove(name);
                withBasePath[name] = value;
                if (name == "host")
                {
                    withBasePath["basePath"] = "/";
                }
            }

            root = withBasePath;
        }

        // Stable formatting for the checked-in copies.
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    // The fields' rules come from ValidationRules, the class the validator and the registry routes use.
    private static OpenApiSchema ClientId() =>
        String("The service principal's application (client) id; lower-cased.", format: "uuid", pattern: ValidationRules.GuidPattern);

    private static OpenApiSchema Tenant() =>
        String("The Microsoft Entra tenant: a GUID or a domain name; lower-cased.", pattern: ValidationRules.TenantPattern, maxLength: ValidationRules.MaxTenantLength);

    private static OpenApiSchema SecretName() =>
        String("Name of the Key Vault secret that holds the service principal's key; never one of the app's own secrets. Key Vault compares names without regard to case: stored lower-cased.", pattern: ValidationRules.SecretNamePattern, maxLength: ValidationRules.MaxSecretNameLength);

    private static OpenApiSchema SecretVersion() =>
        String("A Key Vault secret version (lower-cased); default: the current one.", pattern: ValidationRules.SecretVersionPattern, nullable: true);

    private static OpenApiSchema ConnectionName() =>
        String("Name of the Adobe connection; default adls-gen2-<account>.", pattern: ValidationRules.ConnectionNamePattern, maxLength: ValidationRules.MaxConnectionNameLength, nullable: true);

    private static OpenApiSchema AdoptConnectionId() =>
        String("Optional: an existing Adobe base connection for the app to take over (its PATCHes and, when offboarding, its DELETE). It must already point at this account with this clientId and tenant; otherwise the onboarding fails with ConnectionConflict and the connection is not touched. Without it, the app changes only connections it created: a same-name or same-URL connection is a ConnectionConflict. Exactly as Adobe writes ids: a lower-case GUID.", pattern: ValidationRules.ConnectionIdPattern, nullable: true);

    private static OpenApiSchema Description() =>
        String("Description of the Adobe connection: no whitespace at either end, no control or invisible formatting characters.", maxLength: ValidationRules.MaxDescriptionLength, nullable: true);

    private static OpenApiSchema SandboxName() => new()
    {
        Type = JsonSchemaType.String,
        Description = "An Experience Platform sandbox name.",
        Pattern = ValidationRules.SandboxPattern,
        MaxLength = ValidationRules.MaxSandboxLength,
    };

    private static OpenApiSchemaReference Ref(string id, OpenApiDocument document) => new(id, document);

    /// <summary>The title a custom connector shows for a parameter.</summary>
    private static Dictionary<string, IOpenApiExtension> Summary(string title) => new() { ["x-ms-summary"] = new JsonNodeExtension(JsonValue.Create(title)) };

    /// <summary>Hidden from a custom connector's users.</summary>
    private static Dictionary<string, IOpenApiExtension> Internal() => new() { ["x-ms-visibility"] = new JsonNodeExtension(JsonValue.Create("internal")) };

    private static OpenApiResponse NotReady(OpenApiDocument document) =>
        Problem("Starting: the status-token key cannot be read yet; nothing was started. Retry after Retry-After.", document);

    private static OpenApiResponse MissingKey(OpenApiDocument document) => Problem("Missing or wrong key.", document);

    private static OpenApiResponse Problem(string description, OpenApiDocument document) =>
        Response(description, "application/problem+json", Ref("ProblemDetails", document));

    private static OpenApiResponse Response(string description, string mediaType, IOpenApiSchema schema, Dictionary<string, IOpenApiHeader>? headers = null) => new()
    {
        Description = description,
        Headers = headers,
        Content = new Dictionary<string, IOpenApiMediaType> { [mediaType] = new OpenApiMediaType { Schema = schema } },
    };

    private static OpenApiSchema Object(string description, string[] required, params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        Required = new HashSet<string>(required),
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema),
    };

    private static OpenApiSchema String(string description, string? format = null, string? pattern = null, int? maxLength = null, bool nullable = false, string[]? values = null) => new()
    {
        Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String,
        Description = description,
        Format = format,
        Pattern = pattern,
        MaxLength = maxLength,
        Enum = values?.Select(v => (JsonNode)JsonValue.Create(v)).ToList(),
    };
}
