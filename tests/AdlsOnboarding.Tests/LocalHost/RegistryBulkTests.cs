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
    private const int MaxConcurrentCalls = 3;

    // Requests already on the wire when a 429 was sent cannot know of it; anything later must wait.
    private static readonly TimeSpan InFlightTolerance = TimeSpan.FromMilliseconds(250);

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
        });
        harness.Http.DefaultRequestHeaders.Add("x-functions-key", "bulk-key");
        // Adobe allows fewer calls per second than the host's own limit, so it does throttle.
        harness.Adobe.State.RateLimitPerSecond = 8;
        harness.Adobe.State.Latency = TimeSpan.FromMilliseconds(20);

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
            TimeSpan.FromMinutes(Math.Max(3, accounts / 10)),
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
            // Retry-After was 1 s: no call may arrive in that second, but those already in flight.
            RecordedCall? early = calls.FirstOrDefault(c => c.ReceivedAt > throttle.ReceivedAt + InFlightTolerance && c.ReceivedAt < throttle.ReceivedAt + TimeSpan.FromSeconds(1));
            Assert.True(early is null, $"a call at {early?.ReceivedAt:O} came {early?.ReceivedAt - throttle.ReceivedAt} after a 429 with Retry-After 1 s");
        }
    }
}
