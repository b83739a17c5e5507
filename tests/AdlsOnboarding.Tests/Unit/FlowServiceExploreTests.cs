using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Secrets;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>The real Flow Service client's explore call (Adobe's own view of an account) against the simulator.</summary>
public sealed class FlowServiceExploreTests : IAsyncLifetime
{
    private const string AccountUrl = "https://contosolake.dfs.core.windows.net";

    private ClientHarness _harness = null!;
    private string _connectionId = "";

    private FlowServiceClient Client => _harness.Get<FlowServiceClient>();

    private SimulatorState Adobe => _harness.Adobe.State;

    public async Task InitializeAsync()
    {
        _harness = await ClientHarness.StartAsync(s => s["Adobe:RequestTimeout"] = "00:00:30");
        ConnectionIds ids = await Client.CreateConnectionAsync("prod", new AdlsGen2ConnectionSpec(
            "adls-gen2-contosolake", "test", new AdlsGen2AuthParams(AccountUrl, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", new SensitiveString("the-key"), "contoso.onmicrosoft.com")));
        _connectionId = ids.Id;
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task ExploreRoot_AdobeCanListTheAccount_CanListWithTheDocumentedRequest()
    {
        Adobe.SetExploreFolders(AccountUrl, "confidential-container");

        ExploreResult result = await Client.ExploreRootAsync("prod", _connectionId);

        Assert.Equal(ExploreResult.Listed, result);
        Assert.DoesNotContain("confidential-container", result.ToString(), StringComparison.Ordinal);
        RecordedCall call = Assert.Single(Adobe.Calls, c => c.Operation == SimulatedOperation.Explore);
        Assert.Equal(("GET", $"{AdobeSimulatorEndpoints.FlowServicePath}/connections/{_connectionId}/explore?objectType=root", "prod", 200), (call.Method, call.Path, call.Sandbox, call.Status));
    }

    [Theory]
    [InlineData("AuthorizationFailure")]
    [InlineData("AuthorizationPermissionMismatch")]
    public async Task ExploreRoot_AccountRefusesAdobe_CannotListWithAdobesCodeAndTheReason(string refusal)
    {
        Adobe.SetExploreRefusal(AccountUrl, refusal);

        ExploreResult result = await Client.ExploreRootAsync("prod", _connectionId);

        Assert.False(result.CanList);
        Assert.Equal("1308-400", result.ErrorCode);
        Assert.Contains(refusal, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExploreRoot_UnknownConnection_PermanentNotFound()
    {
        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.ExploreRootAsync("prod", Guid.NewGuid().ToString()));

        Assert.Equal((404, "1439-404", false), (ex.Status, ex.Code, ex.IsTransient));
    }

    [Fact]
    public async Task ExploreRoot_OtherSandbox_PermanentNotFound()
    {
        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.ExploreRootAsync("dev", _connectionId));

        Assert.Equal(404, ex.Status);
    }

    [Fact]
    public async Task ExploreRoot_Throttled_TransientWithRetryAfterNotARefusal()
    {
        Adobe.EnqueueFault(SimulatedOperation.Explore, SimulatedFault.Throttle(6));

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.ExploreRootAsync("prod", _connectionId));

        Assert.Equal((429, true), (ex.Status, ex.IsTransient));
        Assert.Equal(TimeSpan.FromSeconds(6), ex.RetryAfter);
    }

    [Fact]
    public async Task ExploreRoot_MissingPermissionInAdobe_ThrowsNotARefusalOfTheAccount()
    {
        Adobe.EnqueueFault(SimulatedOperation.Explore, new SimulatedFault(FaultKind.Status, 403, Code: "2118-403"));

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.ExploreRootAsync("prod", _connectionId));

        Assert.Equal(("2118-403", false), (ex.Code, ex.IsTransient));
    }
}
