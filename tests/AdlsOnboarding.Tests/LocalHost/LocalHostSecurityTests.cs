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
