using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Xunit.Abstractions;

namespace AdlsOnboarding.Tests.Reliability;

/// <summary>
/// The host killed at random points of a batch (5 times) and started again each time: every accepted onboarding
/// still ends connected, with one connection each and no secret anywhere. N from ADLS_RELIABILITY_N (default 20).
/// </summary>
public sealed class CrashSuiteTests(ITestOutputHelper output)
{
    private const int Kills = 5;

    private static async Task<int> CountConnectedAsync(LocalHostHarness harness)
    {
        try
        {
            return (await harness.Table.QueryAsync<AccountRecord>(filter: "Status eq 'Connected'").ToListAsync()).Count;
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            // The host creates its table with the first record.
            return 0;
        }
    }

    [Fact]
    public async Task Batch_HostKilledFiveTimes_AllConnectedNoDuplicates()
    {
        int n = ReliabilityFigures.Size(20);
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(
            s =>
            {
                ReliabilityFigures.LongRunning(s);
                s["Adobe:MaxConcurrentCalls"] = "2";
            },
            keyVaultStub: true);
        // Slow Adobe, and some creates that commit and then fail, so the kills land mid-call too.
        harness.Adobe.State.Latency = TimeSpan.FromMilliseconds(400);
        harness.Adobe.State.CreateFaultRate = 0.2;
        Random random = new(2026);

        ApiResponse[] accepted = await harness.PostManyAsync("crash", n);
        Assert.All(accepted, r => Assert.Equal(202, r.Status));
        List<int> connectedAtKill = [];
        int previous = -1;
        for (int kill = 0; kill < Kills; kill++)
        {
            // Kill at a random moment after the batch has made some progress since the last restart.
            int connected = await Eventually.UntilAsync(
                () => CountConnectedAsync(harness),
                c => c > previous || c == n,
                () => harness.Host.Output,
                $"progress past {previous} connected after restart {kill}",
                TimeSpan.FromMinutes(2),
                TimeSpan.FromMilliseconds(100));

            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(600)));
            previous = connected;
            connectedAtKill.Add(connected);
            await harness.Host.KillAsync();
            await harness.Host.StartAgainAsync();
        }

        ApiResponse[] finals = await harness.WaitForAllAsync([.. accepted.Select(r => r.Json.GetProperty("instanceId").GetString()!)], TimeSpan.FromMinutes(Math.Max(5, n / 20.0)), untilSettled: true);

        List<AccountRecord> rows = await harness.Table.QueryAsync<AccountRecord>().ToListAsync();
        Assert.All(finals, f => Assert.Equal(200, f.Status));
        Assert.Equal(n, rows.Count(r => r.Status == OnboardingStatus.Connected));
        List<SimulatedConnection> connections = [.. harness.Adobe.State.Connections];
        int duplicates = connections.GroupBy(c => c.Auth.Url).Sum(g => g.Count() - 1);
        Assert.Equal(0, duplicates);
        Assert.Equal(n, connections.Count);
        Assert.True(connectedAtKill[^1] < n, $"the last kill came after the batch had finished ({string.Join(",", connectedAtKill)})");
        SecretScanner.Report scan = await SecretScanner.ScanAsync(harness.TaskHub, harness.TableName, [.. finals.Select(f => f.Body), harness.Host.Output], [.. harness.Secrets, .. harness.Adobe.State.IssuedTokens]);
        Assert.Empty(scan.Hits);

        var figures = new
        {
            onboardings = n,
            kills = Kills,
            connectedAtEachKill = connectedAtKill,
            connected = rows.Count(r => r.Status == OnboardingStatus.Connected),
            completedBySweepAfterRetryBudget = rows.Count(r => r.LastTrigger == "Sweep"),
            lost = n - rows.Count,
            duplicates,
            createFaults = harness.Adobe.State.InjectedFaults,
            secretHits = scan.Hits.Count,
            itemsScanned = scan.ItemsScanned,
        };
        ReliabilityFigures.Write("crash", figures);
        output.WriteLine(System.Text.Json.JsonSerializer.Serialize(figures));
    }
}
