using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>One account, one connection: reuse, update, conflicts and repeated activity runs.</summary>
public sealed class ConnectionReconciliationTests : IAsyncLifetime
{
    private WorkflowHarness _harness = null!;

    private SimulatorState Adobe => _harness.Adobe.State;

    public async Task InitializeAsync() => _harness = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private SimulatedConnection Existing(string name, string url, string clientId = "11111111-2222-3333-4444-555555555555", long createdAt = 1000) =>
        Adobe.Add(Someone(name, url, clientId, createdAt));

    /// <summary>An ADLS Gen2 connection in prod made by someone else, with their key.</summary>
    private static SimulatedConnection Someone(string name, string url, string clientId = "99999999-2222-3333-4444-555555555555", long createdAt = 1000) => new()
    {
        Id = Guid.NewGuid().ToString(),
        Sandbox = "prod",
        Name = name,
        ConnectionSpecId = "b3ba5556-48be-44b7-8b85-ff2b69b46dc4",
        ConnectionSpecVersion = "1.0",
        SpecName = "Basic Authentication for adls-gen2",
        Auth = new SimulatedAuthParams(url, clientId, "someone-elses-key", "contoso.onmicrosoft.com"),
        Etag = SimulatorState.NewEtag(),
        CreatedAt = createdAt,
    };

    private int Calls(SimulatedOperation operation) => Adobe.Calls.Count(c => c.Operation == operation);

    [Fact]
    public async Task CreateActivity_RunTwiceForOneInstance_OneConnection()
    {
        CreateConnectionInput input = new(_harness.Input(WorkflowHarness.Request("twice")), _harness.ServicePrincipalKeyVersion, "onboard-prod-twice");
        CreateConnectionActivity activity = _harness.Host.Services.GetRequiredService<CreateConnectionActivity>();

        ConnectionResult first = await activity.RunAsync(input);
        ConnectionResult second = await activity.RunAsync(input);

        Assert.Single(Adobe.Connections);
        Assert.Equal(ConnectionAction.Created, first.Action);
        Assert.Equal(ConnectionAction.Reused, second.Action);
        Assert.Equal(first.ConnectionId, second.ConnectionId);
    }

    [Fact]
    public async Task CreateActivity_TwoRunsAtOnce_OneConnection()
    {
        CreateConnectionInput input = new(_harness.Input(WorkflowHarness.Request("together")), _harness.ServicePrincipalKeyVersion, "onboard-prod-together");
        Adobe.Latency = TimeSpan.FromMilliseconds(300);

        Task<ConnectionResult>[] runs = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() => _harness.Host.Services.GetRequiredService<CreateConnectionActivity>().RunAsync(input)))];
        Exception? loser = null;
        try
        {
            await Task.WhenAll(runs);
        }
        catch (OnboardingFailureException ex)
        {
            loser = ex;
        }

        Assert.Single(Adobe.Connections);
        if (loser is not null)
        {
            // The run that lost the race backs off (transient) instead of posting a second connection.
            OnboardingFailureException failure = Assert.IsType<OnboardingFailureException>(loser);
            Assert.Equal(ConnectionReconciler.CreateInProgressCode, failure.Code);
            Assert.True(failure.IsTransient);
        }
    }

    [Fact]
    public async Task Reonboard_NewSecretVersion_OnePatchWithIfMatchAndNoPost()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("rotate"));
        string etagBefore = Adobe.Connections[0].Etag;
        _harness.RotateServicePrincipalKey();
        int postsBefore = Calls(SimulatedOperation.Create);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("rotate"));

        Assert.Equal(ConnectionAction.Updated, outcome.Action);
        SimulatedConnection connection = Assert.Single(Adobe.Connections);
        Assert.Equal(_harness.ServicePrincipalKey, connection.Auth.ServicePrincipalKey);
        Assert.Equal(1, connection.UpdateCount);
        Assert.Equal(postsBefore, Calls(SimulatedOperation.Create));
        Assert.Equal(1, Calls(SimulatedOperation.Update));
        Assert.NotEqual(etagBefore, connection.Etag);
        Assert.Equal(connection.Etag, (await _harness.RecordAsync("prod", "rotate"))!.ConnectionEtag);
    }

    [Fact]
    public async Task Reonboard_SameSecret_ReusedWithoutWrites()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("steady"));
        int listsBefore = Calls(SimulatedOperation.List);
        int readsBefore = Calls(SimulatedOperation.Read);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("steady"));

        // The recorded id proves the connection with one read: no list, no write.
        Assert.Equal(ConnectionAction.Reused, outcome.Action);
        Assert.Equal(1, Calls(SimulatedOperation.Create));
        Assert.Equal(0, Calls(SimulatedOperation.Update));
        Assert.Equal(listsBefore, Calls(SimulatedOperation.List));
        Assert.Equal(readsBefore + 1, Calls(SimulatedOperation.Read));
    }

    [Fact]
    public async Task Reonboard_StaleEtag_RereadsAndUpdates()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("stale"));
        _harness.RotateServicePrincipalKey();
        Adobe.EnqueueFault(SimulatedOperation.Update, new SimulatedFault(FaultKind.Status, 412, Code: "1404-412"));
        int readsBefore = Calls(SimulatedOperation.Read);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("stale"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(ConnectionAction.Updated, outcome.Action);
        Assert.Equal([412, 200], Adobe.Calls.Where(c => c.Operation == SimulatedOperation.Update).Select(c => c.Status));
        Assert.Equal(readsBefore + 2, Calls(SimulatedOperation.Read));
        Assert.Equal(_harness.ServicePrincipalKey, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task Onboard_SameNameUsedByAnotherAccount_ConflictAndNothingPatched()
    {
        SimulatedConnection other = Existing("adls-gen2-victim", "https://someoneelse.dfs.core.windows.net");

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("victim"));

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal(ConnectionReconciler.ConflictCode, outcome.ErrorCode);
        Assert.Contains(other.Id, outcome.ErrorMessage);
        Assert.Equal(0, Calls(SimulatedOperation.Create));
        Assert.Equal(0, Calls(SimulatedOperation.Update));
        Assert.Equal("someone-elses-key", Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task Onboard_SeveralOthersWithThisNameOrUrl_ConflictNamesThemAndAddsNone()
    {
        SimulatedConnection sameName = Existing("adls-gen2-dupes", "https://dupes.dfs.core.windows.net", createdAt: 2000);
        SimulatedConnection sameUrl = Existing("someone's lake", "https://dupes.dfs.core.windows.net", createdAt: 1000);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("dupes"));

        Assert.Equal(ConnectionReconciler.ConflictCode, outcome.ErrorCode);
        Assert.Contains(sameName.Id, outcome.ErrorMessage);
        Assert.Contains(sameUrl.Id, outcome.ErrorMessage);
        Assert.Equal(2, Adobe.Connections.Count);
        Assert.Equal(0, Calls(SimulatedOperation.Create));
        Assert.Equal(0, Calls(SimulatedOperation.Update));
    }

    [Fact]
    public async Task Onboard_AmbiguousCreateFailure_LooksUpBeforePostingAgain()
    {
        Adobe.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.CommitThenStatus, 500));

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("ambiguous"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(ConnectionAction.Created, outcome.Action);
        Assert.Equal(0, Calls(SimulatedOperation.Update));
        Assert.Single(Adobe.Connections);
        Assert.Equal(1, Calls(SimulatedOperation.Create));
        // The look-up (name, URL, URL with "/") runs before the POST, and again before a second POST could happen.
        string order = string.Concat(Adobe.Calls.Where(c => c.Operation is SimulatedOperation.Create or SimulatedOperation.List).Select(c => c.Operation == SimulatedOperation.Create ? "C" : "L"));
        Assert.Equal("LLLCLLL", order);
    }

    [Fact]
    public async Task Onboard_FirstTime_LooksUpByNameAndUrl_NotEveryConnectionOfTheSandbox()
    {
        // The removed setting's false is still accepted; the look-up that finds someone else's connection always runs.
        await using WorkflowHarness lean = await WorkflowHarness.StartAsync(s => s["Onboarding:AdoptExistingConnections"] = "false");
        for (int i = 0; i < 240; i++)
        {
            lean.Adobe.State.Add(Someone($"team-{i:D3}", $"https://team{i:D3}.dfs.core.windows.net"));
        }

        (_, OnboardingOutcome outcome) = await lean.OnboardAsync(WorkflowHarness.Request("lean"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        List<string> lists = lean.Adobe.State.Calls.Where(c => c.Operation == SimulatedOperation.List).Select(c => Uri.UnescapeDataString(c.Path)).ToList();
        Assert.Equal(3, lists.Count);
        Assert.Single(lists, l => l.Contains("property=name==adls-gen2-lean", StringComparison.Ordinal));
        Assert.Single(lists, l => l.Contains("property=auth.params.url==https://lean.dfs.core.windows.net&", StringComparison.Ordinal));
        Assert.Single(lists, l => l.Contains("property=auth.params.url==https://lean.dfs.core.windows.net/&", StringComparison.Ordinal));
        Assert.Equal(1, lean.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Create));
    }

    [Fact]
    public async Task Onboard_SomeoneElsesConnectionWithTheUrlAndATrailingSlash_Conflict()
    {
        SimulatedConnection other = Existing("hand-made", "https://slash.dfs.core.windows.net/");

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("slash"));

        Assert.Equal(ConnectionReconciler.ConflictCode, outcome.ErrorCode);
        Assert.Contains(other.Id, outcome.ErrorMessage);
        Assert.Equal(0, Calls(SimulatedOperation.Create));
        Assert.Single(Adobe.Connections);
    }

    [Fact]
    public async Task Onboard_FlowServiceRefusesTheUrlFilter_ListsTheSandboxAndStillFindsTheSameUrlConflict()
    {
        Adobe.Settings.FiltersOnAuthUrl = false;
        SimulatedConnection other = Existing("hand-made", "https://refused.dfs.core.windows.net");
        for (int i = 0; i < 120; i++)
        {
            Adobe.Add(Someone($"team-{i:D3}", $"https://team{i:D3}.dfs.core.windows.net"));
        }

        (_, OnboardingOutcome conflict) = await _harness.OnboardAsync(WorkflowHarness.Request("refused"));
        (_, OnboardingOutcome created) = await _harness.OnboardAsync(WorkflowHarness.Request("accepted"));

        Assert.Equal(ConnectionReconciler.ConflictCode, conflict.ErrorCode);
        Assert.Contains(other.Id, conflict.ErrorMessage);
        Assert.Equal(OnboardingStatus.Connected, created.Status);
        Assert.Equal(1, Calls(SimulatedOperation.Create));
        // Each onboarding: the name look-up, the refused URL filter(s), then every page of the sandbox's connections.
        Assert.Contains(Adobe.Calls, c => c.Operation == SimulatedOperation.List && c.Status == 400);
        Assert.Contains(Adobe.Calls, c => c.Operation == SimulatedOperation.List && c.Status == 200 && c.Path.Contains("continuationToken", StringComparison.Ordinal));
    }
}
