using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Secrets;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>The real Flow Service client against the simulator, over loopback HTTP.</summary>
public sealed class FlowServiceClientTests : IAsyncLifetime
{
    private ClientHarness _harness = null!;

    private FlowServiceClient Client => _harness.Get<FlowServiceClient>();

    private SimulatorState Adobe => _harness.Adobe.State;

    public async Task InitializeAsync() => _harness = await ClientHarness.StartAsync(s => s["Adobe:RequestTimeout"] = "00:00:03");

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private static AdlsGen2ConnectionSpec Spec(string account = "acct1", string name = "adls-gen2-acct1") =>
        new(name, "test", new AdlsGen2AuthParams($"https://{account}.dfs.core.windows.net", "11111111-2222-3333-4444-555555555555", new SensitiveString("the-key"), "contoso.onmicrosoft.com"));

    [Fact]
    public async Task CreateConnection_ValidSpec_SendsAdobesBodyAndReturnsQuotedEtag()
    {
        ConnectionIds ids = await Client.CreateConnectionAsync("dev", Spec());

        SimulatedConnection stored = Assert.Single(Adobe.Connections);
        Assert.Equal(ids.Id, stored.Id);
        Assert.Equal(stored.Etag, ids.Etag);
        Assert.StartsWith("\"", ids.Etag);
        Assert.EndsWith("\"", ids.Etag);
        Assert.Equal("dev", stored.Sandbox);
        Assert.Equal("b3ba5556-48be-44b7-8b85-ff2b69b46dc4", stored.ConnectionSpecId);
        Assert.Equal("1.0", stored.ConnectionSpecVersion);
        Assert.Equal("the-key", stored.Auth.ServicePrincipalKey);
        RecordedCall create = Assert.Single(Adobe.Calls, c => c.Operation == SimulatedOperation.Create);
        Assert.Equal(201, create.Status);
        Assert.StartsWith("Bearer sim-", create.Authorization);
    }

    [Fact]
    public async Task CreateConnection_WrongOrg_PermanentGatewayError()
    {
        await using ClientHarness other = await ClientHarness.StartAsync(s => s["Adobe:OrgId"] = "FFFFFFFFFFFFFFFFFFFFFFFF@AdobeOrg");

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => other.Get<FlowServiceClient>().CreateConnectionAsync("dev", Spec()));

        Assert.Equal(400, ex.Status);
        Assert.Equal("400003", ex.Code);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task CreateConnection_Throttled_TransientWithRetryAfter()
    {
        Adobe.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(7));

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.CreateConnectionAsync("dev", Spec()));

        Assert.Equal(429, ex.Status);
        Assert.Equal("429050", ex.Code);
        Assert.True(ex.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.False(ex.RequestMayHaveSucceeded);
        Assert.Empty(Adobe.Connections);
    }

    [Fact]
    public async Task AnyCall_AfterA429AskingForADay_NextCallFailsAtOnceUnsentWithTheRestOfTheDay()
    {
        Adobe.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(86400));
        AdobeServiceException throttled = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.CreateConnectionAsync("dev", Spec()));

        // Not waited out in process (the default cap is 30 s): handed back at once for the durable retry.
        AdobeServiceException heldBack = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.FindConnectionsByNameAsync("dev", "x").WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(TimeSpan.FromDays(1), throttled.RetryAfter);
        Assert.True(heldBack.IsTransient);
        Assert.Equal("429050", heldBack.Code);
        Assert.InRange(heldBack.RetryAfter!.Value, TimeSpan.FromSeconds(30), TimeSpan.FromDays(1));
        Assert.DoesNotContain(Adobe.Calls, c => c.Operation == SimulatedOperation.List);
    }

    [Fact]
    public async Task AnyCall_AfterA429WithAFarFutureHttpDate_NextCallFailsAtOnceWithoutOverflow()
    {
        Adobe.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 429, RetryAfterDate: new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero)));
        AdobeServiceException throttled = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.CreateConnectionAsync("dev", Spec()));

        AdobeServiceException heldBack = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.FindConnectionsByNameAsync("dev", "x").WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.True(throttled.RetryAfter > TimeSpan.FromDays(365 * 7000));
        Assert.True(heldBack.IsTransient);
        Assert.True(heldBack.RetryAfter > TimeSpan.FromDays(365 * 7000));
        Assert.DoesNotContain(Adobe.Calls, c => c.Operation == SimulatedOperation.List);
    }

    [Fact]
    public async Task AnyCall_AfterA429WithAPastHttpDate_NoPause()
    {
        Adobe.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 429, RetryAfterDate: DateTimeOffset.UtcNow.AddHours(-1)));
        AdobeServiceException throttled = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.CreateConnectionAsync("dev", Spec()));

        await Client.FindConnectionsByNameAsync("dev", "x").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(TimeSpan.Zero, throttled.RetryAfter);
        Assert.Single(Adobe.Calls, c => c.Operation == SimulatedOperation.List && c.Status == 200);
    }

    [Fact]
    public async Task CreateConnection_CommittedThenReset_TransientAndPossiblyCreated()
    {
        Adobe.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.CommitThenReset));

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.CreateConnectionAsync("dev", Spec()));

        Assert.Equal(0, ex.Status);
        Assert.True(ex.IsTransient);
        Assert.True(ex.RequestMayHaveSucceeded);
        Assert.Single(Adobe.Connections);
    }

    [Fact]
    public async Task CreateConnection_CommittedThenHung_TimesOutAsAmbiguous()
    {
        Adobe.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.CommitThenHang, Delay: TimeSpan.FromSeconds(10)));

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.CreateConnectionAsync("dev", Spec()));

        Assert.Equal("Timeout", ex.Code);
        Assert.True(ex.RequestMayHaveSucceeded);
        Assert.Single(Adobe.Connections);
    }

    [Fact]
    public async Task AnyCall_TokenRejectedOnce_RenewsTokenAndSucceeds()
    {
        await Client.CreateConnectionAsync("dev", Spec("acct1", "first"));
        Adobe.ExpireAllTokens();

        await Client.CreateConnectionAsync("dev", Spec("acct2", "second"));

        Assert.Equal(2, Adobe.Calls.Count(c => c.Operation == SimulatedOperation.Token));
        Assert.Equal([201, 401, 201], Adobe.Calls.Where(c => c.Operation == SimulatedOperation.Create).Select(c => c.Status));
    }

    [Fact]
    public async Task AnyCall_TokenRejectedTwice_PermanentAfterOneRenewal()
    {
        Adobe.RejectAllTokens = true;

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.FindConnectionsByNameAsync("dev", "x"));

        Assert.Equal("401013", ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Equal(2, Adobe.Calls.Count(c => c.Operation == SimulatedOperation.Token));
        Assert.Equal(2, Adobe.Calls.Count(c => c.Operation == SimulatedOperation.List));
    }

    [Fact]
    public async Task FindConnectionsByName_SeveralPages_FollowsNextLinksAndFiltersExactly()
    {
        await using ClientHarness paged = await ClientHarness.StartAsync(s => s["Adobe:LookupPageSize"] = "2");
        FlowServiceClient client = paged.Get<FlowServiceClient>();
        for (int i = 0; i < 5; i++)
        {
            await client.CreateConnectionAsync("dev", Spec($"acct{i}x", "same name"));
        }

        await client.CreateConnectionAsync("dev", Spec("other1", "same name 2"));
        await client.CreateConnectionAsync("prod", Spec("prodacct", "same name"));

        IReadOnlyList<FlowConnection> found = await client.FindConnectionsByNameAsync("dev", "same name");

        Assert.Equal(5, found.Count);
        Assert.All(found, c => Assert.Equal("b3ba5556-48be-44b7-8b85-ff2b69b46dc4", c.ConnectionSpecId));
        Assert.Equal(3, paged.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.List));
        Assert.Contains(paged.Adobe.State.Calls, c => c.Path.Contains("property=name%3D%3Dsame%20name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UpdateAuthParams_CurrentEtag_ReplacesAllFourParams()
    {
        ConnectionIds ids = await Client.CreateConnectionAsync("dev", Spec());

        ConnectionIds updated = await Client.UpdateAuthParamsAsync("dev", ids.Id, ids.Etag,
            new AdlsGen2AuthParams("https://acct1.dfs.core.windows.net", "99999999-2222-3333-4444-555555555555", new SensitiveString("new-key"), "contoso.onmicrosoft.com"));

        SimulatedConnection stored = Assert.Single(Adobe.Connections);
        Assert.Equal("new-key", stored.Auth.ServicePrincipalKey);
        Assert.Equal("99999999-2222-3333-4444-555555555555", stored.Auth.ServicePrincipalId);
        Assert.NotEqual(ids.Etag, updated.Etag);
        Assert.Equal(stored.Etag, updated.Etag);
    }

    [Fact]
    public async Task UpdateAuthParams_StaleEtag_Permanent1404()
    {
        ConnectionIds ids = await Client.CreateConnectionAsync("dev", Spec());
        Adobe.Touch(Adobe.Connections[0]);

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => Client.UpdateAuthParamsAsync("dev", ids.Id, ids.Etag, Spec().Auth));

        Assert.Equal("1404-412", ex.Code);
        Assert.Equal(412, ex.Status);
    }

    [Fact]
    public async Task GetConnection_Unknown_Null()
    {
        Assert.Null(await Client.GetConnectionAsync("dev", Guid.NewGuid().ToString()));
    }

    [Fact]
    public async Task TestConnection_ReportsAdobesResult()
    {
        ConnectionIds ids = await Client.CreateConnectionAsync("dev", Spec());
        Assert.True(await Client.TestConnectionAsync("dev", ids.Id));

        Adobe.SetTestResult("https://acct1.dfs.core.windows.net", false);
        Assert.False(await Client.TestConnectionAsync("dev", ids.Id));
    }
}
