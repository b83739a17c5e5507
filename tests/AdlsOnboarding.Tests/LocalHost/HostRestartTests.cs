using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Tests.LocalHost;

/// <summary>Durable state survives the host: a host killed mid-onboarding resumes it on restart.</summary>
public sealed class HostRestartTests
{
    [Fact]
    public async Task KillHostWhileAdobeHoldsTheCreate_RestartCompletesWithOneConnectionAndOneRow()
    {
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync();
        // Adobe commits the create, then holds the answer: the host dies before the activity can complete.
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.CommitThenHang, Delay: TimeSpan.FromSeconds(30)));

        ApiResponse accepted = await harness.PostAsync(LocalHostHarness.Body("restartacct"));
        Assert.Equal(202, accepted.Status);
        await Eventually.UntilAsync(() => harness.Adobe.State.Connections.Count == 1, () => harness.Host.Output, "Adobe to commit the create");

        await harness.Host.KillAsync();
        await harness.Host.StartAgainAsync();
        ApiResponse done = await harness.PollUntilDoneAsync(accepted.Header("Location")!);

        Assert.Equal(200, done.Status);
        SimulatedConnection connection = Assert.Single(harness.Adobe.State.Connections);
        Assert.Equal(connection.Id, done.Json.GetProperty("connectionId").GetString());
        Assert.Equal("created", done.Json.GetProperty("action").GetString());
        List<AccountRecord> rows = await harness.Table.QueryAsync<AccountRecord>().ToListAsync();
        AccountRecord row = Assert.Single(rows);
        Assert.Equal(OnboardingStatus.Connected, row.Status);
        Assert.Equal(connection.Id, row.ConnectionId);
        Assert.Equal(1, harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Create));
    }
}
