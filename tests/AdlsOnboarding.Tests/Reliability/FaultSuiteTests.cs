using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Xunit.Abstractions;

namespace AdlsOnboarding.Tests.Reliability;

/// <summary>
/// Onboardings through the local host (Azure Storage backend on Azurite) against faults on every dependency: Adobe
/// (429 with Retry-After, 500/503/504, resets, no answer, committed-then-failed creates, IMS failures, expired
/// tokens), the Key Vault stand-in (429/5xx) and Table Storage (503 through a proxy). Nothing is lost, nothing is
/// duplicated, no Retry-After is undercut, no secret leaks. N from ADLS_RELIABILITY_N (default 20).
/// </summary>
public sealed class FaultSuiteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Onboardings_UnderInjectedFaults_AllConnectedNoneLostNoDuplicatesNoLeaks()
    {
        int n = ReliabilityFigures.Size(20);
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(
            s =>
            {
                ReliabilityFigures.LongRunning(s);
                s["Onboarding:FirstRetryInterval"] = "00:00:00.200";
                s["Onboarding:MaxRetryInterval"] = "00:00:02";
                // Not short: a host stalled past its timeout misses a 429 it was sent (and rightly does not wait for
                // it), which the Retry-After check below would blame on it. Below the simulator's 6 s "no answer" hang.
                s["Adobe:RequestTimeout"] = "00:00:05";
                s["Onboarding:CreateLease"] = "00:00:06";
            },
            keyVaultStub: true,
            tableFaultProxy: true);
        harness.Adobe.State.ChaosRate = 0.25;
        harness.KeyVault!.State.ChaosRate = 0.3;
        harness.TableProxy!.FaultRate = 0.2;
        // Two 429s whatever chaos picks, so there is always a Retry-After to check against, longer than the host's
        // own way back to the same account usually takes (a durable retry, a key read, the look-ups, the create), so
        // that ignoring it shows.
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(8));
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(8));
        List<string> responses = [];

        ApiResponse[] accepted = await harness.PostManyAsync("fault", n);
        responses.AddRange(accepted.Select(r => r.Body));
        Assert.All(accepted, r => Assert.Equal(202, r.Status));
        ApiResponse[] finals = await harness.WaitForAllAsync([.. accepted.Select(r => r.Json.GetProperty("instanceId").GetString()!)], TimeSpan.FromMinutes(Math.Max(5, n / 20.0)), untilSettled: true);
        responses.AddRange(finals.Select(r => r.Body));

        // Outcome: connected, or failed for a permanent cause; never lost, never stuck, never a transient failure left.
        List<AccountRecord> rows = await harness.Table.QueryAsync<AccountRecord>().ToListAsync();
        int connected = rows.Count(r => r.Status == OnboardingStatus.Connected);
        int failedPermanent = rows.Count(r => r.Status == OnboardingStatus.Failed && r.ErrorTransient == false);
        Assert.Equal(n, rows.Count);
        Assert.All(finals, f => Assert.True(f.Status is 200 or 422, f.Body));
        Assert.True(n == connected + failedPermanent, string.Join("; ", rows.Where(r => r.Status != OnboardingStatus.Connected).Select(r => $"{r.RowKey} {r.Status} {r.ErrorCode} transient={r.ErrorTransient}")));

        // No duplicates: never two connections for one account; exactly one for each connected account.
        List<SimulatedConnection> connections = [.. harness.Adobe.State.Connections.Where(c => !c.Deleted)];
        int duplicates = connections.GroupBy(c => c.Auth.Url).Sum(g => g.Count() - 1);
        Assert.Equal(0, duplicates);
        Assert.All(rows.Where(r => r.Status == OnboardingStatus.Connected), r => Assert.Single(connections, c => c.Id == r.ConnectionId));

        // Retry-After never undercut: after a 429/503 with Retry-After, the throttled account's next Flow Service call
        // (not one the host makes in parallel with it, which need not wait for its answer) arrives no sooner than
        // Retry-After after the answer left. Both instants are the simulator's (the answer's is
        // taken as it starts to be written, so the host cannot have read it earlier), so no allowance for a slow
        // machine is needed: whatever the load, a host that waits out Retry-After from when it read the answer sends
        // that account nothing earlier. (The pause of every other sender is checked with one slot in RegistryBulkTests:
        // with several, calls past the gate before the host read a 429 may reach Adobe any time later.)
        List<RecordedCall> calls = [.. harness.Adobe.State.Calls.Where(c => c.Operation != SimulatedOperation.Token).OrderBy(c => c.ReceivedAt)];
        List<(RecordedCall Throttle, RecordedCall Next)> checkedThrottles = [.. calls
            .Select((call, index) => (call, index))
            .Where(t => t.call is { RetryAfterSeconds: > 0, AnsweredAt: not null, AccountUrl: not null })
            .Select(t => (Throttle: t.call, Next: calls.Skip(t.index + 1).FirstOrDefault(c => c.AccountUrl == t.call.AccountUrl && !InParallel(t.call, c))))
            .Where(p => p.Next is not null)
            .Select(p => (p.Throttle, p.Next!))];
        List<string> undercuts = [.. checkedThrottles
            .Where(p => p.Next.ReceivedAt < p.Throttle.AnsweredAt!.Value + TimeSpan.FromSeconds(p.Throttle.RetryAfterSeconds!.Value))
            .Select(p => $"{p.Throttle.AccountUrl}: {p.Throttle.Operation} answered {p.Throttle.Status} with Retry-After {p.Throttle.RetryAfterSeconds} s at {p.Throttle.AnsweredAt:O}, "
                + $"then {p.Next.Operation} {p.Next.Path} arrived {(p.Next.ReceivedAt - p.Throttle.AnsweredAt!.Value).TotalMilliseconds:0} ms later")];
        foreach ((RecordedCall throttle, RecordedCall next) in checkedThrottles)
        {
            output.WriteLine($"Retry-After {throttle.RetryAfterSeconds} s ({throttle.Operation} {throttle.Status}); the account's next call {(next.ReceivedAt - throttle.AnsweredAt!.Value).TotalMilliseconds:0} ms after the answer");
        }

        int undercut = undercuts.Count;
        Assert.True(checkedThrottles.Count >= 1, "no throttled call of an account was followed by another call of it");
        Assert.True(undercuts.Count == 0, string.Join("\n", undercuts));

        // No secret anywhere.
        SecretScanner.Report scan = await SecretScanner.ScanAsync(harness.TaskHub, harness.TableName, [.. responses, harness.Host.Output], [.. harness.Secrets, .. harness.Adobe.State.IssuedTokens]);
        Assert.Empty(scan.Hits);

        var figures = new
        {
            onboardings = n,
            connected,
            failedPermanent,
            permanentCauses = rows.Where(r => r.Status == OnboardingStatus.Failed).Select(r => $"{r.ErrorCode}: {r.ErrorMessage}").ToList(),
            completedBySweepAfterRetryBudget = rows.Count(r => r.LastTrigger == "Sweep"),
            lost = n - rows.Count,
            duplicates,
            retryAfterChecked = checkedThrottles.Count,
            retryAfterUndercut = undercut,
            secretHits = scan.Hits.Count,
            itemsScanned = scan.ItemsScanned,
            flowServiceCalls = calls.Count,
            imsCalls = harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Token),
            adobeFaults = harness.Adobe.State.InjectedFaults,
            keyVaultFaults = harness.KeyVault.State.InjectedFaults,
            keyVaultCalls = harness.KeyVault.State.Calls.Count,
            tableFaults = harness.TableProxy.Injected,
            tableCalls = harness.TableProxy.Injected + harness.TableProxy.Forwarded,
            maxAttemptsSeen = rows.Max(r => r.AttemptCount ?? 0),
            faultShare = Math.Round((harness.Adobe.State.InjectedFaults.Values.Sum() + harness.KeyVault.State.InjectedFaults + harness.TableProxy.Injected)
                / (double)(calls.Count + harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Token) + harness.KeyVault.State.Calls.Count + harness.TableProxy.Injected + harness.TableProxy.Forwarded), 3),
        };
        ReliabilityFigures.Write("faults", figures);
        output.WriteLine(System.Text.Json.JsonSerializer.Serialize(figures));
    }

    /// <summary>The credential test and the explore call of a connection are sent together (so are the look-ups, which name no account).</summary>
    private static bool InParallel(RecordedCall throttled, RecordedCall next) =>
        throttled.Operation is SimulatedOperation.Test or SimulatedOperation.Explore && next.Operation is SimulatedOperation.Test or SimulatedOperation.Explore;
}
