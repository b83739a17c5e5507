using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Tests.LocalHost;

/// <summary>
/// Bulk registration onboarded by the timer sweep, on the local host's Azure Storage backend, against a simulator
/// that rate-limits: everything connects, no stampede, no duplicate, no call before a Retry-After ran out.
/// N comes from ADLS_BULK_ACCOUNTS (default 30; the long profile is 1000).
/// </summary>
public sealed class RegistryBulkTests
{
    // One call at a time makes "no call before a Retry-After ran out" decidable from Adobe's side without a clock
    // tolerance: the throttled call holds the host's only slot until it has paused the gate, so no other call is in
    // flight then, and every call Adobe receives after a 429 was sent after the host knew of it. With more slots, a
    // call past the gate before the host read the 429 may reach Adobe any time later on a loaded machine (one came
    // 957 ms after a 429 once, with a 250 ms allowance for calls "on the wire").
    private const int MaxConcurrentCalls = 1;

    [Fact]
    public async Task RegisterManyAccounts_SweepsWithRateLimitedAdobe_AllConnectedWithinBounds()
    {
        int accounts = int.TryParse(Environment.GetEnvironmentVariable("ADLS_BULK_ACCOUNTS"), out int n) && n > 0 ? n : 30;
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s =>
        {
            s["OnboardingSweepSchedule"] = "*/2 * * * * *";
            s["Sweep:MaxStartsPerSweep"] = "20";
            s["Adobe:MaxConcurrentCalls"] = MaxConcurrentCalls.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["Adobe:MaxCallsPerSecond"] = "12";
            s["LocalHost:ApiKey"] = "bulk-key";
            // Each retry decision in the host's output (shown when the test gives up).
            s["Logging:LogLevel:AdlsOnboarding.Workflow.Onboarding.DurableRetry"] = "Information";
            // One call at a time, 8 a second at Adobe, six calls per first onboarding (three look-ups, create, test,
            // explore): the last accounts wait minutes for their turn on a loaded machine. The harness's one-minute
            // bound on retrying (kept short for tests that exhaust it) would fail them; the product's default is 1 h.
            s["Onboarding:MaxTotalRetryTime"] = "00:10:00";
            // A 429 from Adobe's rate limit is a counted attempt: one account met eight in a row once (the harness's
            // 8), so the attempt bound is as generous as the time bound.
            s["Onboarding:MaxAttempts"] = "30";
        });
        harness.Http.DefaultRequestHeaders.Add("x-functions-key", "bulk-key");
        // Adobe allows fewer calls per second than the host's own limit, so it does throttle.
        harness.Adobe.State.RateLimitPerSecond = 8;
        harness.Adobe.State.Latency = TimeSpan.FromMilliseconds(20);
        // And a few 429s whatever the pace of a loaded machine, so there is always a Retry-After to check against.
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(1));
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Throttle(2));

        await Task.WhenAll(Enumerable.Range(0, accounts).Select(async i =>
        {
            using HttpRequestMessage put = new(HttpMethod.Put, $"/api/accounts/prod/bulk{i:D4}")
            {
                Content = new StringContent($$"""{"clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"{{WorkflowHarness.ServicePrincipalSecretName}}"}""", System.Text.Encoding.UTF8, "application/json"),
            };
            ApiResponse response = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(put));
            Assert.Equal(201, response.Status);
        }));

        List<AccountRecord> rows = await Eventually.UntilAsync(
            async () => await harness.Table.QueryAsync<AccountRecord>().ToListAsync(),
            rows => rows.Count == accounts && rows.All(r => r.Status is OnboardingStatus.Connected or OnboardingStatus.Failed),
            () => harness.Host.Output,
            $"all {accounts} registered accounts to be onboarded by the sweep",
            TimeSpan.FromMinutes(Math.Max(8, accounts / 10)),
            TimeSpan.FromSeconds(1));

        Assert.All(rows, r => Assert.True(r.Status == OnboardingStatus.Connected, $"{r.RowKey}: {r.Status} {r.ErrorCode} {r.ErrorMessage}"));
        Assert.Equal(accounts, rows.Count);
        List<SimulatedConnection> connections = [.. harness.Adobe.State.Connections];
        Assert.Equal(accounts, connections.Count);
        Assert.Equal(accounts, connections.Select(c => c.Auth.Url).Distinct().Count());
        Assert.InRange(harness.Adobe.State.PeakConcurrentCalls, 1, MaxConcurrentCalls);

        List<RecordedCall> calls = [.. harness.Adobe.State.Calls.Where(c => c.Operation != SimulatedOperation.Token).OrderBy(c => c.ReceivedAt)];
        List<RecordedCall> throttled = [.. calls.Where(c => c.Status == 429)];
        Assert.NotEmpty(throttled);
        foreach (RecordedCall throttle in throttled)
        {
            // Both instants are arrivals at Adobe, taken at the same point; the 429 left after its arrival and the host
            // paused when it read it, so a call it sent after that arrives no sooner than Retry-After later.
            TimeSpan retryAfter = TimeSpan.FromSeconds(throttle.RetryAfterSeconds ?? 1);
            RecordedCall? early = calls.FirstOrDefault(c => c.ReceivedAt > throttle.ReceivedAt && c.ReceivedAt < throttle.ReceivedAt + retryAfter);
            Assert.True(early is null, $"a call at {early?.ReceivedAt:O} came {early?.ReceivedAt - throttle.ReceivedAt} after a 429 with Retry-After {retryAfter.TotalSeconds} s");
        }
    }
}
