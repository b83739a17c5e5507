using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;

namespace AdlsOnboarding.Tests.LocalHost;

/// <summary>
/// The API as Logic Apps' HTTP action uses it (asynchronous request-reply), against the local host: the key on
/// the first call only, polling the signed status URL, stopping at the first non-202 answer.
/// </summary>
public sealed class LogicAppsPatternTests(LogicAppsPatternTests.Host fixture) : IClassFixture<LogicAppsPatternTests.Host>
{
    private const string Key = "logic-apps-test-key";

    public sealed class Host : IAsyncLifetime
    {
        public LocalHostHarness Harness { get; private set; } = null!;

        public async Task InitializeAsync() => Harness = await LocalHostHarness.StartAsync(s =>
        {
            s["LocalHost:ApiKey"] = Key;
            s["Api:StatusRetryAfterSeconds"] = "2";
            s["Api:StatusTokenLifetime"] = "00:00:10";
        });

        public async Task DisposeAsync() => await Harness.DisposeAsync();
    }

    private LocalHostHarness Harness => fixture.Harness;

    private static string Account() => "la" + Guid.NewGuid().ToString("N")[..14];

    private Task<(bool Succeeded, ApiResponse Final)> RunAsync(LogicAppsHttpAction action, string account) =>
        action.RunAsync(new Uri(Harness.Host.BaseAddress, "/api/onboardings").ToString(), LocalHostHarness.Body(account), new() { ["x-functions-key"] = Key }, TimeSpan.FromMinutes(2));

    [Fact]
    public async Task HttpAction_Success_Ends200WithTheConnectionId()
    {
        string account = Account();
        LogicAppsHttpAction action = new(Harness.Http);

        (bool succeeded, ApiResponse final) = await RunAsync(action, account);

        Assert.True(succeeded);
        Assert.Equal(200, final.Status);
        SimulatedConnection connection = Assert.Single(Harness.Adobe.State.Connections, c => c.Auth.Url.Contains(account, StringComparison.Ordinal));
        Assert.Equal(connection.Id, final.Json.GetProperty("connectionId").GetString());
        Assert.Equal("POST", action.Calls[0].Method);
        Assert.All(action.Calls.Skip(1), c => Assert.Equal("GET", c.Method));
    }

    [Fact]
    public async Task HttpAction_PermanentAdobe400_Ends422WithAdobesCodeAndIsNotRetried()
    {
        Harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 400, Code: "1415-400"));
        LogicAppsHttpAction action = new(Harness.Http);

        (bool succeeded, ApiResponse final) = await RunAsync(action, Account());

        Assert.False(succeeded);
        Assert.Equal(422, final.Status);
        Assert.Equal("1415-400", final.Json.GetProperty("errorCode").GetString());
        Assert.Single(action.Calls, c => c.Status == 422);
    }

    [Fact]
    public async Task HttpAction_SlowOnboarding_PolledNoSoonerThanAdvertised()
    {
        Harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Delay, Delay: TimeSpan.FromSeconds(5)));
        LogicAppsHttpAction action = new(Harness.Http);

        (bool succeeded, _) = await RunAsync(action, Account());

        Assert.True(succeeded);
        Assert.True(action.Calls.Count >= 3, $"{action.Calls.Count} calls");
        for (int i = 1; i < action.Calls.Count; i++)
        {
            // From the 202 that said "Retry-After: 2" to the next poll (less the clock's few milliseconds of granularity).
            TimeSpan gap = action.Calls[i].At - action.Calls[i - 1].AnsweredAt;
            Assert.True(gap >= TimeSpan.FromSeconds(2) - TimeSpan.FromMilliseconds(20), $"poll {i} came {gap} after the 202");
        }
    }

    [Fact]
    public async Task StatusToken_OneInstanceOnly_AlteredOrExpired401()
    {
        string first = Account(), second = Account();
        ApiResponse a = await LocalHostHarness.ToApiResponseAsync(await Harness.Http.SendAsync(Post(first)));
        ApiResponse b = await LocalHostHarness.ToApiResponseAsync(await Harness.Http.SendAsync(Post(second)));
        string location = a.Header("Location")!;
        await Harness.PollUntilDoneAsync(location);
        await Harness.PollUntilDoneAsync(b.Header("Location")!);

        ApiResponse borrowed = await Harness.GetAsync(location.Replace(first, second, StringComparison.Ordinal));
        ApiResponse altered = await Harness.GetAsync(location[..^1] + (location[^1] == 'x' ? 'y' : 'x'));
        await Task.Delay(TimeSpan.FromSeconds(11));
        ApiResponse expired = await Harness.GetAsync(location);

        Assert.Equal(401, borrowed.Status);
        Assert.Equal(401, altered.Status);
        Assert.Equal(401, expired.Status);
    }

    private static HttpRequestMessage Post(string account)
    {
        HttpRequestMessage request = new(HttpMethod.Post, "/api/onboardings") { Content = new StringContent(LocalHostHarness.Body(account), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("x-functions-key", Key);
        return request;
    }
}
