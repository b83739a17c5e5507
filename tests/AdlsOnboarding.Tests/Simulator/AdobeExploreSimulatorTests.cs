using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.Adobe;

namespace AdlsOnboarding.Tests.Simulator;

/// <summary>The simulator's <c>GET /connections/{id}/explore</c>, with raw HTTP: what Adobe checks and answers.</summary>
public sealed class AdobeExploreSimulatorTests : IAsyncLifetime
{
    private const string AccountUrl = "https://contosolake.dfs.core.windows.net";

    private RunningSimulator<SimulatorState> _sim = null!;
    private HttpClient _http = null!;
    private string _token = "";
    private string _connectionId = "";

    public async Task InitializeAsync()
    {
        _sim = await SimulatorHost.StartAdobeAsync();
        _http = new HttpClient { BaseAddress = _sim.BaseAddress };
        HttpResponseMessage token = await _http.PostAsync(AdobeSimulatorEndpoints.ImsTokenPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "sim-client-id", ["client_secret"] = "sim-client-secret", ["scope"] = "openid,AdobeID",
        }));
        _token = (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        (_, JsonElement created) = await SendAsync(HttpMethod.Post, "/connections", new
        {
            name = "adls-gen2-contosolake",
            auth = new { specName = AdobeSimulatorEndpoints.AdlsGen2SpecName, @params = new { url = AccountUrl, servicePrincipalId = "id", servicePrincipalKey = "key", tenant = "t" } },
            connectionSpec = new { id = AdobeSimulatorEndpoints.AdlsGen2SpecId, version = "1.0" },
        });
        _connectionId = created.GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _sim.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body = null, string sandbox = "prod", bool apiKey = true)
    {
        using HttpRequestMessage request = new(method, AdobeSimulatorEndpoints.FlowServicePath + path);
        request.Headers.Authorization = new("Bearer", _token);
        if (apiKey)
        {
            request.Headers.Add("x-api-key", "sim-client-id");
        }

        request.Headers.Add("x-gw-ims-org-id", "0123456789ABCDEF01234567@AdobeOrg");
        request.Headers.Add("x-sandbox-name", sandbox);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        HttpResponseMessage response = await _http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement);
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> ExploreAsync(string query = "?objectType=root", string? id = null, string sandbox = "prod", bool apiKey = true) =>
        SendAsync(HttpMethod.Get, $"/connections/{id ?? _connectionId}/explore{query}", sandbox: sandbox, apiKey: apiKey);

    [Fact]
    public async Task Explore_Root_ArrayOfTheAccountsContainersAsFolders()
    {
        _sim.State.SetExploreFolders(AccountUrl, "landing", "archive");

        (HttpStatusCode status, JsonElement body) = await ExploreAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(JsonValueKind.Array, body.ValueKind);
        JsonElement first = body[0];
        Assert.Equal(("folder", "landing", "/landing/"), (first.GetProperty("type").GetString(), first.GetProperty("name").GetString(), first.GetProperty("path").GetString()));
        Assert.False(first.GetProperty("canPreview").GetBoolean());
        Assert.Equal(2, body.GetArrayLength());
        Assert.Equal(SimulatedOperation.Explore, _sim.State.Calls[^1].Operation);
    }

    [Theory]
    [InlineData("", "FLOW-1359-400")]
    [InlineData("?objectType=everything", "FLOW-1358-400")]
    [InlineData("?objectType=folder", "FLOW-1337-400")]
    public async Task Explore_MissingOrInvalidObjectType_AdobesBadRequest(string query, string type)
    {
        (HttpStatusCode status, JsonElement body) = await ExploreAsync(query);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.EndsWith(type, body.GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explore_UnknownIdOrOtherSandbox_404()
    {
        (HttpStatusCode unknown, JsonElement body) = await ExploreAsync(id: Guid.NewGuid().ToString());
        (HttpStatusCode otherSandbox, _) = await ExploreAsync(sandbox: "dev");

        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.EndsWith("FLOW-1439-404", body.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, otherSandbox);
    }

    [Fact]
    public async Task Explore_MissingApiKey_GatewayError()
    {
        (HttpStatusCode status, JsonElement body) = await ExploreAsync(apiKey: false);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("403000", body.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task Explore_AccountRefusesAdobeSetOverHttp_1308WithMicrosoftsError()
    {
        HttpResponseMessage knob = await _http.PostAsJsonAsync("/_simulator/explore", new { url = AccountUrl, refusal = "AuthorizationFailure" });

        (HttpStatusCode status, JsonElement body) = await ExploreAsync();
        await _http.PostAsJsonAsync("/_simulator/explore", new { url = AccountUrl, refusal = (string?)null });
        (HttpStatusCode after, _) = await ExploreAsync();

        Assert.Equal(HttpStatusCode.NoContent, knob.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.EndsWith("FLOW-1308-400", body.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains("ErrorCode: 'AuthorizationFailure'", body.GetProperty("report").GetProperty("detailed-message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, after);
    }
}
