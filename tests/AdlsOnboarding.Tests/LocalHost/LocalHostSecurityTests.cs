using AdlsOnboarding.Tests.Infrastructure;

namespace AdlsOnboarding.Tests.LocalHost;

public sealed class LocalHostSecurityTests
{
    [Fact]
    public async Task Start_NonLoopbackAddressWithoutApiKey_RefusesToStart()
    {
        // Refused before anything binds, so nothing listens beyond loopback even for a moment.
        InvalidOperationException ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LocalHostHarness.StartAsync(s => s["LocalHost:Urls"] = "http://0.0.0.0:7999"));

        Assert.Contains("LocalHost:ApiKey", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_WithApiKeyConfigured_RequiresTheKeyButStatusUrlsDoNot()
    {
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s => s["LocalHost:ApiKey"] = "local-test-key-7c1");

        ApiResponse withoutKey = await harness.PostAsync(LocalHostHarness.Body("keyedacct"));
        ApiResponse wrongKey = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(Post("wrong")));
        ApiResponse withKey = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(Post("local-test-key-7c1")));

        Assert.Equal(401, withoutKey.Status);
        Assert.Equal("application/problem+json", withoutKey.ContentType);
        Assert.Equal(401, wrongKey.Status);
        Assert.Equal(202, withKey.Status);
        Assert.Equal(200, (await harness.PollUntilDoneAsync(withKey.Header("Location")!)).Status);
        Assert.Single(harness.Adobe.State.Connections);
    }

    [Fact]
    public async Task Start_KestrelEndpointOnNonLoopbackWithoutApiKey_RefusesToStart()
    {
        // LocalHost:Urls is loopback, but Kestrel's own endpoints win over it and ask for every interface.
        int port = WorkflowHarness.FreePort();

        InvalidOperationException ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LocalHostHarness.StartAsync(s =>
            {
                s["LocalHost:Urls"] = $"http://127.0.0.1:{port}";
                s["Kestrel:Endpoints:Open:Url"] = $"http://0.0.0.0:{port}";
            }));

        Assert.Contains("Kestrel:Endpoints:Open:Url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LocalHost:ApiKey", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ASPNETCORE_URLS", "http://0.0.0.0:{0}")]
    [InlineData("URLS", "http://0.0.0.0:{0}")]
    [InlineData("ASPNETCORE_HTTP_PORTS", "{0}")]
    public async Task Start_GenericUrlSettingOnNonLoopback_OverriddenAndListensOnLoopbackOnly(string setting, string format)
    {
        int other = WorkflowHarness.FreePort();
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s => s[setting] = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, other));

        Assert.Equal(200, (await harness.GetAsync("/healthz")).Status);
        using System.Net.Sockets.TcpClient probe = new();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => probe.ConnectAsync(System.Net.IPAddress.Loopback, other));
    }

    [Fact]
    public async Task Request_NonLoopbackHostWithoutApiKey_400AndNothingServed()
    {
        // DNS rebinding: a browser page on rebind.attacker.example whose name now resolves to 127.0.0.1.
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync();
        string host = $"rebind.attacker.example:{harness.Host.BaseAddress.Port}";

        using HttpRequestMessage list = new(HttpMethod.Get, "/api/accounts");
        list.Headers.Host = host;
        using HttpRequestMessage post = new(HttpMethod.Post, "/api/onboardings") { Content = new StringContent(LocalHostHarness.Body("rebindacct"), System.Text.Encoding.UTF8, "application/json") };
        post.Headers.Host = host;
        using HttpRequestMessage loopback = new(HttpMethod.Get, "/api/accounts");
        loopback.Headers.Host = $"localhost:{harness.Host.BaseAddress.Port}";

        ApiResponse listed = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(list));
        ApiResponse posted = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(post));
        ApiResponse fromLoopback = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(loopback));

        Assert.Equal(400, listed.Status);
        Assert.DoesNotContain("items", listed.Body, StringComparison.Ordinal);
        Assert.Equal(400, posted.Status);
        Assert.Equal(200, fromLoopback.Status);
        Assert.Empty(harness.Adobe.State.Calls);
    }

    [Fact]
    public async Task Request_AnyHostWithApiKey_ServedWithTheKey()
    {
        // With a key the host may sit behind a name of its own: the key, not the Host header, guards it.
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s => s["LocalHost:ApiKey"] = "local-test-key-7c1");
        using HttpRequestMessage list = new(HttpMethod.Get, "/api/accounts");
        list.Headers.Host = $"onboarding.contoso.example:{harness.Host.BaseAddress.Port}";
        list.Headers.Add("x-functions-key", "local-test-key-7c1");

        ApiResponse listed = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(list));

        Assert.Equal(200, listed.Status);
    }

    [Fact]
    public async Task Post_KeyInQueryString_401AndNothingStarted()
    {
        // Keys in URLs end up in proxy and browser logs: the local host takes the header only.
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s => s["LocalHost:ApiKey"] = "local-test-key-7c1");
        using HttpRequestMessage request = new(HttpMethod.Post, "/api/onboardings?code=local-test-key-7c1")
        {
            Content = new StringContent(LocalHostHarness.Body("querykeyacct"), System.Text.Encoding.UTF8, "application/json"),
        };

        ApiResponse response = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(request));

        Assert.Equal(401, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Empty(harness.Adobe.State.Calls);
    }

    private static HttpRequestMessage Post(string key)
    {
        HttpRequestMessage request = new(HttpMethod.Post, "/api/onboardings")
        {
            Content = new StringContent(LocalHostHarness.Body("keyedacct"), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-functions-key", key);
        return request;
    }
}
