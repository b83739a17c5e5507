using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.Adobe;

namespace AdlsOnboarding.Tests.Simulator;

/// <summary>Pins the Adobe behaviours the simulator reproduces, with raw HTTP (no product code involved).</summary>
public sealed class AdobeSimulatorTests : IAsyncLifetime
{
    private RunningSimulator<SimulatorState> _sim = null!;
    private HttpClient _http = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _sim = await SimulatorHost.StartAdobeAsync();
        _http = new HttpClient { BaseAddress = _sim.BaseAddress };
        HttpResponseMessage token = await _http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "sim-client-id", ["client_secret"] = "sim-client-secret", ["scope"] = "openid,AdobeID",
        }));
        _token = (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _sim.DisposeAsync();
    }

    private HttpRequestMessage Request(HttpMethod method, string path, object? body = null, bool token = true, bool apiKey = true, bool org = true, string? sandbox = "prod")
    {
        HttpRequestMessage request = new(method, "/data/foundation/flowservice" + path);
        if (token)
        {
            request.Headers.Authorization = new("Bearer", _token);
        }

        if (apiKey)
        {
            request.Headers.Add("x-api-key", "sim-client-id");
        }

        if (org)
        {
            request.Headers.Add("x-gw-ims-org-id", "0123456789ABCDEF01234567@AdobeOrg");
        }

        if (sandbox is not null)
        {
            request.Headers.Add("x-sandbox-name", sandbox);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    private static object Create(string name = "c1", string specName = "Basic Authentication for adls-gen2", string url = "https://acct.dfs.core.windows.net", string specId = "b3ba5556-48be-44b7-8b85-ff2b69b46dc4") => new
    {
        name,
        auth = new { specName, @params = new { url, servicePrincipalId = "id", servicePrincipalKey = "key", tenant = "t" } },
        connectionSpec = new { id = specId, version = "1.0" },
    };

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> SendAsync(HttpRequestMessage request)
    {
        HttpResponseMessage response = await _http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement, response);
    }

    [Fact]
    public async Task Create_Valid_201WithLocationAndQuotedEtag()
    {
        var (status, body, response) = await SendAsync(Request(HttpMethod.Post, "/connections", Create()));

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal($"/data/foundation/flowservice/connections/{body.GetProperty("id").GetString()}", response.Headers.Location!.OriginalString);
        Assert.Matches("^\"[0-9a-f-]{36}\"$", body.GetProperty("etag").GetString());
    }

    [Fact]
    public async Task Calls_Recorded_WithTheAccountTheyConcernAndWhenTheAnswerLeft()
    {
        // For the suites' Retry-After checks: a throttled create is still attributed (its body is read before it is
        // refused, and the create after it still reads its body), calls by id carry their connection's account, a list none.
        _sim.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(3));
        var (throttled, _, _) = await SendAsync(Request(HttpMethod.Post, "/connections", Create(url: "https://first.dfs.core.windows.net")));
        var (createdStatus, created, _) = await SendAsync(Request(HttpMethod.Post, "/connections", Create(url: "https://first.dfs.core.windows.net")));
        await SendAsync(Request(HttpMethod.Get, $"/connections/{created.GetProperty("id").GetString()}/test"));
        await SendAsync(Request(HttpMethod.Get, "/connections"));

        RecordedCall[] calls = [.. _sim.State.Calls.Where(c => c.Operation != SimulatedOperation.Token)];
        Assert.Equal((HttpStatusCode)429, throttled);
        Assert.Equal(HttpStatusCode.Created, createdStatus);
        Assert.Equal(["https://first.dfs.core.windows.net", "https://first.dfs.core.windows.net", "https://first.dfs.core.windows.net", null], calls.Select(c => c.AccountUrl));
        Assert.Equal(3, calls[0].RetryAfterSeconds);
        Assert.All(calls, c => Assert.True(c.AnsweredAt >= c.ReceivedAt, $"{c.Operation} answered {c.AnsweredAt:O}, received {c.ReceivedAt:O}"));
    }

    [Fact]
    public async Task Create_ServiceToken_CreatedClientAndCreatedByAreTheTokensImsClient()
    {
        // Adobe: createdClient is the IMS client that made the connection; for a service token createdBy is the same.
        var (_, created, _) = await SendAsync(Request(HttpMethod.Post, "/connections", Create()));
        var (_, read, _) = await SendAsync(Request(HttpMethod.Get, $"/connections/{created.GetProperty("id").GetString()}"));

        JsonElement item = read.GetProperty("items")[0];
        Assert.Equal("sim-client-id", item.GetProperty("createdClient").GetString());
        Assert.Equal("sim-client-id", item.GetProperty("createdBy").GetString());
        Assert.Equal("sim-client-id", item.GetProperty("updatedClient").GetString());
    }

    [Fact]
    public async Task Patch_ReplaceName_RenamesWithNewEtagAndUpdatedClient()
    {
        SimulatedConnection byUi = _sim.State.Add(new SimulatedConnection
        {
            Id = Guid.NewGuid().ToString(), Sandbox = "prod", Name = "old", ConnectionSpecId = AdobeSimulatorEndpoints.AdlsGen2SpecId, ConnectionSpecVersion = "1.0",
            SpecName = AdobeSimulatorEndpoints.AdlsGen2SpecName, Auth = new SimulatedAuthParams("https://acct.dfs.core.windows.net", "id", "key", "t"), Etag = SimulatorState.NewEtag(),
        });
        HttpRequestMessage rename = Request(HttpMethod.Patch, $"/connections/{byUi.Id}", new object[] { new { op = "replace", path = "/name", value = "new name" } });
        rename.Headers.TryAddWithoutValidation("If-Match", byUi.Etag);

        var (status, _, _) = await SendAsync(rename);
        var (_, read, _) = await SendAsync(Request(HttpMethod.Get, $"/connections/{byUi.Id}"));

        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement item = read.GetProperty("items")[0];
        Assert.Equal("new name", item.GetProperty("name").GetString());
        Assert.Equal(SimulatedConnection.UiClient, item.GetProperty("createdClient").GetString());
        Assert.Equal("sim-client-id", item.GetProperty("updatedClient").GetString());
        Assert.Equal("key", byUi.Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task Create_SameNameTwice_BothCreatedLikeAdobe()
    {
        await SendAsync(Request(HttpMethod.Post, "/connections", Create()));
        await SendAsync(Request(HttpMethod.Post, "/connections", Create()));

        Assert.Equal(2, _sim.State.Connections.Count);
    }

    [Theory]
    [InlineData("Service Principal Based Authentication", "https://acct.dfs.core.windows.net", "b3ba5556-48be-44b7-8b85-ff2b69b46dc4", "FLOW-1415-400")]
    [InlineData("Basic Authentication for adls-gen2", "https://acct.blob.core.windows.net", "b3ba5556-48be-44b7-8b85-ff2b69b46dc4", "FLOW-1417-400")]
    [InlineData("Basic Authentication for adls-gen2", "https://acct.dfs.core.windows.net", "0ed90a81-07f4-4586-8190-b40eccef1c5a", "FLOW-1007-400")]
    public async Task Create_WrongSpecNameUrlOrProviderIdAsSpec_400FlowError(string specName, string url, string specId, string type)
    {
        var (status, body, _) = await SendAsync(Request(HttpMethod.Post, "/connections", Create(specName: specName, url: url, specId: specId)));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.EndsWith(type, body.GetProperty("type").GetString());
        Assert.Empty(_sim.State.Connections);
    }

    [Theory]
    [InlineData(false, true, true, 403, "403010")]
    [InlineData(true, false, true, 403, "403000")]
    [InlineData(true, true, false, 400, "400003")]
    public async Task AnyCall_MissingGatewayHeader_GatewayError(bool token, bool apiKey, bool org, int expected, string code)
    {
        var (status, body, _) = await SendAsync(Request(HttpMethod.Get, "/connections", token: token, apiKey: apiKey, org: org));

        Assert.Equal(expected, (int)status);
        Assert.Equal(code, body.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task AnyCall_ExpiredToken_401013()
    {
        _sim.State.ExpireAllTokens();

        var (status, body, _) = await SendAsync(Request(HttpMethod.Get, "/connections"));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("401013", body.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task Patch_WithoutIfMatch_1403_StaleEtag_1404()
    {
        var (_, created, _) = await SendAsync(Request(HttpMethod.Post, "/connections", Create()));
        string id = created.GetProperty("id").GetString()!;
        object[] patch = [new { op = "replace", path = "/auth/params", value = new { url = "https://acct.dfs.core.windows.net", servicePrincipalId = "id2", servicePrincipalKey = "k2", tenant = "t" } }];

        var (noIfMatch, body1, _) = await SendAsync(Request(HttpMethod.Patch, $"/connections/{id}", patch));
        HttpRequestMessage stale = Request(HttpMethod.Patch, $"/connections/{id}", patch);
        stale.Headers.TryAddWithoutValidation("If-Match", "\"stale\"");
        var (staleStatus, body2, _) = await SendAsync(stale);
        HttpRequestMessage current = Request(HttpMethod.Patch, $"/connections/{id}", patch);
        current.Headers.TryAddWithoutValidation("If-Match", created.GetProperty("etag").GetString());
        var (okStatus, _, _) = await SendAsync(current);

        Assert.Equal(HttpStatusCode.BadRequest, noIfMatch);
        Assert.EndsWith("1403-400", body1.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.PreconditionFailed, staleStatus);
        Assert.EndsWith("1404-412", body2.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal("k2", _sim.State.Connections[0].Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task List_FilterAndPaging_NextLinkRelativeToService_KeyNeverShown()
    {
        for (int i = 0; i < 3; i++)
        {
            await SendAsync(Request(HttpMethod.Post, "/connections", Create("wanted")));
        }

        await SendAsync(Request(HttpMethod.Post, "/connections", Create("other")));
        string filter = "?property=" + Uri.EscapeDataString("name==wanted") + "&limit=2";

        var (_, page1, _) = await SendAsync(Request(HttpMethod.Get, "/connections" + filter));
        string next = page1.GetProperty("_links").GetProperty("next").GetProperty("href").GetString()!;
        var (_, page2, _) = await SendAsync(Request(HttpMethod.Get, next));

        Assert.Equal(2, page1.GetProperty("items").GetArrayLength());
        Assert.StartsWith("/connections?", next);
        Assert.Equal(1, page2.GetProperty("items").GetArrayLength());
        Assert.False(page2.TryGetProperty("_links", out _));
        Assert.DoesNotContain("servicePrincipalKey", page1.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_CountWithLimit_1401()
    {
        var (status, body, _) = await SendAsync(Request(HttpMethod.Get, "/connections?count=true&limit=5"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.EndsWith("1401-400", body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Token_WrongSecret_401InvalidClient()
    {
        HttpResponseMessage response = await _http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "sim-client-id", ["client_secret"] = "nope", ["scope"] = "openid",
        }));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }
}

public sealed class AdobeSimulatorControlTests
{
    [Fact]
    public async Task RateLimit_OverTheLimit_429WithRetryAfterAndRuntimeKnobs()
    {
        await using RunningSimulator<SimulatorState> sim = await SimulatorHost.StartAdobeAsync();
        using HttpClient http = new() { BaseAddress = sim.BaseAddress };
        HttpResponseMessage knobs = await http.PostAsJsonAsync("/_simulator/knobs", new { rateLimitPerSecond = 2, latencyMs = 10 });
        Assert.Equal(HttpStatusCode.OK, knobs.StatusCode);
        Assert.Equal(2, sim.State.RateLimitPerSecond);
        Assert.Equal(TimeSpan.FromMilliseconds(10), sim.State.Latency);

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/data/foundation/flowservice/connections"))));

        // Two are admitted (and refused by the gateway for lack of a token); the third is throttled first.
        HttpResponseMessage throttled = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Equal(TimeSpan.FromSeconds(1), throttled.Headers.RetryAfter!.Delta);
        Assert.Equal("429050", (await throttled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task Faults_ScriptedOverHttp_AppliedToTheNextCall()
    {
        await using RunningSimulator<SimulatorState> sim = await SimulatorHost.StartAdobeAsync();
        using HttpClient http = new() { BaseAddress = sim.BaseAddress };

        HttpResponseMessage scripted = await http.PostAsJsonAsync("/_simulator/faults/Token", new { kind = "Status", status = 503, retryAfterSeconds = 4 });
        HttpResponseMessage token = await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }));

        Assert.Equal(HttpStatusCode.NoContent, scripted.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, token.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(4), token.Headers.RetryAfter!.Delta);
    }
}
