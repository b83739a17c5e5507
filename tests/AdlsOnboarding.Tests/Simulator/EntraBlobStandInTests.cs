using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.BlobStorage;
using AdlsOnboarding.Simulator.Entra;

namespace AdlsOnboarding.Tests.Simulator;

/// <summary>Pins what the Entra ID + blob stand-in answers, with raw HTTP over its https endpoint (no product code).</summary>
public sealed class EntraBlobStandInTests : IAsyncLifetime
{
    private const string TenantId = "11111111-2222-3333-4444-555555555555";
    private const string ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

    private RunningSimulator<EntraBlobStandIn> _standIn = null!;
    private HttpClient _http = null!;
    private StandInApp _app = null!;
    private StandInAccount _account = null!;

    private EntraStandInState Entra => _standIn.State.Entra;

    public async Task InitializeAsync()
    {
        _standIn = await SimulatorHost.StartEntraAndBlobAsync();
        string thumbprint = _standIn.Certificate!.Thumbprint;
        _http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == thumbprint })
        {
            BaseAddress = _standIn.BaseAddress,
        };
        _app = Entra.AddTenant(TenantId, "fabrikam.onmicrosoft.com").AddApp(ClientId, "fabrikam-reader").AddSecret("right-secret");
        _account = _standIn.State.Blobs.AddAccount("fabrikamlake", TenantId).AddContainers("c1", "c2", "c3").GrantBlobDataReader(ClientId);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _standIn.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> TokenAsync(string secret = "right-secret", string tenant = TenantId, string clientId = ClientId, string scope = "https://storage.azure.com/.default")
    {
        using HttpRequestMessage request = new(HttpMethod.Post, $"/{tenant}/oauth2/v2.0/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = scope, ["grant_type"] = "client_credentials", ["client_info"] = "1",
            }),
        };
        request.Headers.Add("client-request-id", "9e8d7c6b-5a49-3827-1605-f4e3d2c1b0a9");
        HttpResponseMessage response = await _http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, response);
    }

    private async Task<string> AccessTokenAsync() => (await TokenAsync()).Body.GetProperty("access_token").GetString()!;

    private async Task<(HttpStatusCode Status, XElement? Body, HttpResponseMessage Response)> ListAsync(string? token, string account = "fabrikamlake", string query = "?comp=list", string? version = "2026-02-06")
    {
        using HttpRequestMessage request = new(HttpMethod.Get, $"/{account}{query}");
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        if (version is not null)
        {
            request.Headers.Add("x-ms-version", version);
        }

        HttpResponseMessage response = await _http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : XElement.Parse(text), response);
    }

    [Fact]
    public async Task Token_ValidSecretByTenantIdOrDomain_BearerTokenForStorage()
    {
        (HttpStatusCode byId, JsonElement body, _) = await TokenAsync();
        (HttpStatusCode byDomain, _, _) = await TokenAsync(tenant: "fabrikam.onmicrosoft.com");

        Assert.Equal(HttpStatusCode.OK, byId);
        Assert.Equal(HttpStatusCode.OK, byDomain);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.True(body.GetProperty("expires_in").GetInt64() > 0);
        IssuedToken issued = Assert.IsType<IssuedToken>(Entra.Validate(body.GetProperty("access_token").GetString()!));
        Assert.Equal((TenantId, ClientId, "https://storage.azure.com"), (issued.TenantId, issued.ClientId, issued.Resource));
        EntraCall call = Entra.Calls[0];
        Assert.Equal(["client_id", "client_info", "client_secret", "grant_type", "scope"], call.FormFields);
        Assert.DoesNotContain("right-secret", call.ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, int, string, int> Refusals() => new()
    {
        { "wrong secret", 401, "invalid_client", 7000215 },
        { "expired secret", 401, "invalid_client", 7000222 },
        { "unknown app", 400, "unauthorized_client", 700016 },
        { "disabled app", 400, "unauthorized_client", 7000112 },
        { "unknown tenant", 400, "invalid_request", 90002 },
        { "conditional access", 400, "invalid_grant", 53003 },
        { "wrong resource", 400, "invalid_resource", 500011 },
        { "scope without /.default", 400, "invalid_scope", 1002012 },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Token_EachRefusal_EntrasErrorBody(string refusal, int status, string error, int code)
    {
        string secret = "right-secret", tenant = TenantId, clientId = ClientId, scope = "https://storage.azure.com/.default";
        switch (refusal)
        {
            case "wrong secret": secret = "wrong"; break;
            case "expired secret": _app.AddSecret("old-secret", expiresOn: DateTimeOffset.UtcNow.AddDays(-1)); secret = "old-secret"; break;
            case "unknown app": clientId = "99999999-9999-9999-9999-999999999999"; break;
            case "disabled app": _app.Disabled = true; break;
            case "unknown tenant": tenant = "nowhere.onmicrosoft.com"; break;
            case "conditional access": _app.BlockedByConditionalAccess = true; break;
            case "wrong resource": scope = "https://vault.azure.net/.default"; break;
            case "scope without /.default": scope = "https://storage.azure.com/user_impersonation"; break;
        }

        (HttpStatusCode actual, JsonElement body, _) = await TokenAsync(secret, tenant, clientId, scope);

        Assert.Equal(status, (int)actual);
        Assert.Equal(error, body.GetProperty("error").GetString());
        Assert.StartsWith($"AADSTS{code}: ", body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Contains("\r\nTrace ID: ", body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Equal([code], body.GetProperty("error_codes").EnumerateArray().Select(c => c.GetInt32()));
        Assert.Equal("9e8d7c6b-5a49-3827-1605-f4e3d2c1b0a9", body.GetProperty("correlation_id").GetString());
        Assert.True(Guid.TryParse(body.GetProperty("trace_id").GetString(), out _));
        Assert.Empty(Entra.IssuedTokens);
    }

    [Fact]
    public async Task Token_SecretNotYetPropagated_RefusedAsInvalidUntilActive()
    {
        _app.AddSecret("new-secret", activeFrom: DateTimeOffset.UtcNow.AddHours(1));

        (HttpStatusCode status, JsonElement body, _) = await TokenAsync("new-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(7000215, body.GetProperty("error_codes")[0].GetInt32());
    }

    [Fact]
    public async Task Token_InjectedFaults_ThrottleWithRetryAfterOutageAndAnyAadsts()
    {
        Entra.EnqueueFault(EntraFault.Throttle(7));
        Entra.EnqueueFault(EntraFault.Unavailable(503));
        Entra.EnqueueFault(EntraFault.Aadsts(700024, "invalid_client", "Client assertion is not within its valid time range."));

        (HttpStatusCode throttled, _, HttpResponseMessage response) = await TokenAsync();
        (HttpStatusCode unavailable, JsonElement outage, _) = await TokenAsync();
        (HttpStatusCode other, JsonElement otherBody, _) = await TokenAsync();
        (HttpStatusCode after, _, _) = await TokenAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable);
        Assert.Equal("temporarily_unavailable", outage.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, other);
        Assert.StartsWith("AADSTS700024: ", otherBody.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, after);
    }

    [Fact]
    public async Task List_ReaderWithStorageToken_DocumentedXmlPagedByMaxResults()
    {
        string token = await AccessTokenAsync();

        (HttpStatusCode status, XElement? body, HttpResponseMessage response) = await ListAsync(token, query: "?comp=list&maxresults=2");
        (_, XElement? next, _) = await ListAsync(token, query: "?comp=list&maxresults=2&marker=" + body!.Element("NextMarker")!.Value);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("2026-02-06", response.Headers.GetValues("x-ms-version").Single());
        Assert.True(response.Headers.Contains("x-ms-request-id"));
        Assert.Equal("EnumerationResults", body.Name.LocalName);
        Assert.Equal("2", body.Element("MaxResults")!.Value);
        Assert.Equal(["c1", "c2"], body.Element("Containers")!.Elements("Container").Select(c => c.Element("Name")!.Value));
        Assert.Equal(["c3"], next!.Element("Containers")!.Elements("Container").Select(c => c.Element("Name")!.Value));
        Assert.Equal("", next.Element("NextMarker")!.Value);
    }

    [Fact]
    public async Task List_NoRole_403AuthorizationPermissionMismatch()
    {
        _standIn.State.Blobs.AddAccount("otherlake", TenantId).AddContainers("x");

        (HttpStatusCode status, XElement? body, HttpResponseMessage response) = await ListAsync(await AccessTokenAsync(), account: "otherlake");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("AuthorizationPermissionMismatch", body!.Element("Code")!.Value);
        Assert.Equal("AuthorizationPermissionMismatch", response.Headers.GetValues("x-ms-error-code").Single());
        Assert.StartsWith("This request is not authorized to perform this operation using this permission.\nRequestId:", body.Element("Message")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_NetworkRulesDeny_403AuthorizationFailureWhateverTheToken()
    {
        _account.NetworkRulesDenyCaller = true;

        (HttpStatusCode withToken, XElement? body, _) = await ListAsync(await AccessTokenAsync());
        (HttpStatusCode without, _, _) = await ListAsync(token: null);

        Assert.Equal(HttpStatusCode.Forbidden, withToken);
        Assert.Equal(HttpStatusCode.Forbidden, without);
        Assert.Equal("AuthorizationFailure", body!.Element("Code")!.Value);
    }

    [Fact]
    public async Task List_MissingOrForeignToken_401WithChallenge()
    {
        const string otherTenant = "66666666-7777-8888-9999-000000000000";
        Entra.AddTenant(otherTenant).AddApp(ClientId).AddSecret("right-secret");
        string foreign = (await TokenAsync(tenant: otherTenant)).Body.GetProperty("access_token").GetString()!;

        (HttpStatusCode none, XElement? noneBody, HttpResponseMessage challenge) = await ListAsync(token: null);
        (HttpStatusCode other, XElement? otherBody, _) = await ListAsync(foreign);
        (HttpStatusCode forged, _, _) = await ListAsync("not-a-token");

        Assert.Equal(HttpStatusCode.Unauthorized, none);
        Assert.Equal("NoAuthenticationInformation", noneBody!.Element("Code")!.Value);
        Assert.Equal($"Bearer authorization_uri=https://login.microsoftonline.com/{TenantId}/oauth2/authorize resource_id=https://storage.azure.com", challenge.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, other);
        Assert.Equal("InvalidAuthenticationInfo", otherBody!.Element("Code")!.Value);
        Assert.Equal("Issuer validation failed. Issuer did not match.", otherBody.Element("AuthenticationErrorDetail")!.Value);
        Assert.Equal(HttpStatusCode.Unauthorized, forged);
    }

    [Fact]
    public async Task List_RevokedToken_401UntilANewTokenIsIssued()
    {
        string before = await AccessTokenAsync();
        Entra.RevokeIssuedTokens();
        string after = await AccessTokenAsync();

        (HttpStatusCode revoked, XElement? body, _) = await ListAsync(before);
        (HttpStatusCode fresh, _, _) = await ListAsync(after);

        Assert.Equal(HttpStatusCode.Unauthorized, revoked);
        Assert.Equal("InvalidAuthenticationInfo", body!.Element("Code")!.Value);
        Assert.Equal(HttpStatusCode.OK, fresh);
        Assert.Contains(before, Entra.IssuedTokens);
    }

    [Fact]
    public async Task List_BadRequestShapes_400StorageErrors()
    {
        string token = await AccessTokenAsync();

        (HttpStatusCode noVersion, XElement? versionBody, _) = await ListAsync(token, version: null);
        (HttpStatusCode noComp, XElement? compBody, _) = await ListAsync(token, query: "?restype=service");

        Assert.Equal(HttpStatusCode.BadRequest, noVersion);
        Assert.Equal("MissingRequiredHeader", versionBody!.Element("Code")!.Value);
        Assert.Equal(HttpStatusCode.BadRequest, noComp);
        Assert.Equal("InvalidQueryParameterValue", compBody!.Element("Code")!.Value);
    }

    [Fact]
    public async Task List_InjectedFaultsAndUnknownAccount_ServerBusyRetryAfterAndDroppedConnection()
    {
        _standIn.State.Blobs.EnqueueFault(BlobFault.ServerBusy(9));
        string token = await AccessTokenAsync();

        (HttpStatusCode busy, XElement? body, HttpResponseMessage response) = await ListAsync(token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy);
        Assert.Equal("ServerBusy", body!.Element("Code")!.Value);
        Assert.Equal(TimeSpan.FromSeconds(9), response.Headers.RetryAfter?.Delta);
        await Assert.ThrowsAsync<HttpRequestException>(() => ListAsync(token, account: "nosuchaccount"));
    }

    [Fact]
    public async Task AnyOtherRequest_404AndRecordedAsUnmatched()
    {
        HttpResponseMessage discovery = await _http.GetAsync("/common/discovery/instance?api-version=1.1");

        Assert.Equal(HttpStatusCode.NotFound, discovery.StatusCode);
        Assert.Equal(["GET /common/discovery/instance?api-version=1.1"], _standIn.State.Unmatched);
    }
}
