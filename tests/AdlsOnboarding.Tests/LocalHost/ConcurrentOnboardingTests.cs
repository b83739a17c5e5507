using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Tests.LocalHost;

/// <summary>
/// Many callers, few accounts, an unreliable Adobe: on the local host's Azure Storage backend (the in-memory test
/// host runs two activities at a time and could not show this).
/// </summary>
public sealed class ConcurrentOnboardingTests
{
    private const int Accounts = 10;
    private const int Requests = 200;

    [Fact]
    public async Task TwoHundredStartsOverTenAccounts_WithAmbiguousCreateFailures_ExactlyOneConnectionEach()
    {
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync();
        // One create in five commits and then fails: a 500, a reset connection or no answer before the timeout.
        harness.Adobe.State.CreateFaultRate = 0.2;
        harness.Adobe.State.Latency = TimeSpan.FromMilliseconds(20);

        // Every tenth request for an account asks for something else (another description; the key is bound to this
        // one service principal): it must get 409 while its account's onboarding runs, or start a re-onboarding once
        // that has finished.
        (int Account, bool Different)[] plan = [.. Enumerable.Range(0, Requests).Select(i => (i % Accounts, i / Accounts % 10 == 9))];
        ApiResponse[] responses = await Task.WhenAll(plan.Select(p => harness.PostAsync(LocalHostHarness.Body(
            $"concurrent{p.Account:D2}", description: p.Different ? "another request" : null))));

        for (int i = 0; i < Requests; i++)
        {
            ApiResponse response = responses[i];
            string expectedInstance = $"onboard-prod-concurrent{plan[i].Account:D2}";
            Assert.True(response.Status is 202 or 409, $"request {i}: {response.Status} {response.Body}");
            Assert.Equal(expectedInstance, response.Json.GetProperty("instanceId").GetString());
            Assert.True(response.Status == 202 || plan[i].Different || responses.Any(r => r.Status == 202 && r.Body.Contains(expectedInstance, StringComparison.Ordinal)));
        }

        for (int account = 0; account < Accounts; account++)
        {
            ApiResponse done = await harness.PollUntilDoneAsync(harness.StatusUrl($"onboard-prod-concurrent{account:D2}"), TimeSpan.FromMinutes(3));
            Assert.True(done.Status == 200, done.Body);
        }

        List<SimulatedConnection> connections = [.. harness.Adobe.State.Connections.Where(c => !c.Deleted)];
        Assert.Equal(Accounts, connections.Count);
        Assert.Equal(Accounts, connections.Select(c => c.Auth.Url).Distinct().Count());
        List<AccountRecord> rows = await harness.Table.QueryAsync<AccountRecord>().ToListAsync();
        Assert.Equal(Accounts, rows.Count);
        Assert.All(rows, row => Assert.Equal(OnboardingStatus.Connected, row.Status));
        Assert.All(rows, row => Assert.Contains(connections, c => c.Id == row.ConnectionId));
        Assert.True(harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Create && c.Status != 201) > 0, "no fault was injected");
    }
}
