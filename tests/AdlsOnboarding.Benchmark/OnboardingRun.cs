using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;

namespace AdlsOnboarding.Benchmark;

internal sealed record OnboardingFigures(
    int N, double WallSeconds, double PerSecond, double P50, double P95, double P99, double CallsPerOnboarding, int Throttled,
    int PeakAdobeConcurrency, int Connections, int DistinctAccounts, double HostCpuSeconds, double HostPeakMiB, double AzuriteCpuSeconds, double AzuritePeakMiB,
    RequestCounts Requests, double RequestsPerStatusPoll, double AcceptSeconds, double StandInsCpuSeconds, double BenchmarkCpuSeconds, int QueueSweeps);

/// <summary>N onboardings through the local host's public API (a process of its own) against the simulator (another).</summary>
internal static class OnboardingRun
{
    public static async Task<OnboardingFigures> RunAsync(Settings settings, int latencyMs, int cap, string label, CountingProxy proxy)
    {
        int simPort = ProcessStats.FreePort(), hostPort = ProcessStats.FreePort();
        string hub = "bench" + Guid.NewGuid().ToString("N")[..12], table = "bench" + Guid.NewGuid().ToString("N")[..12];
        proxy.AccountTable = table;
        await using ChildProcess sim = ChildProcess.Start(settings.SimulatorDll, ["--port", simPort.ToString(), "--latencyMs", latencyMs.ToString(), "--concurrencyCap", cap.ToString()], new Dictionary<string, string>());
        Uri simBase = new($"http://127.0.0.1:{simPort}");
        await ProcessStats.WaitForHttpAsync(new Uri(simBase, "/_simulator/stats"), TimeSpan.FromSeconds(30));

        // The pre-flight is on, as by default: it signs in at the Entra + blob stand-in (its own process, loopback),
        // which serves every benchmark account to the sample service principal.
        int standInPort = ProcessStats.FreePort();
        string thumbprintFile = Path.Combine(Path.GetTempPath(), $"entra-blob-{standInPort}.thumbprint");
        await using ChildProcess standIn = ChildProcess.Start(
            settings.SimulatorDll,
            ["entra-blob", "--port", standInPort.ToString(), "--setup", Path.Combine(settings.Root, "samples", "entra-blob-standin.json"), "--thumbprint-file", thumbprintFile],
            new Dictionary<string, string>());
        string thumbprint = await ProcessStats.WaitForFileAsync(thumbprintFile, TimeSpan.FromSeconds(30));

        Dictionary<string, string> env = new()
        {
            ["LocalHost__Urls"] = $"http://127.0.0.1:{hostPort}",
            ["LocalSettingsPath"] = "/nonexistent",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Adobe__FlowServiceUrl"] = $"{simBase}data/foundation/flowservice",
            ["Adobe__ImsTokenUrl"] = $"{simBase}ims/token/v3",
            ["Adobe__MaxConcurrentCalls"] = (cap > 0 ? cap : 100).ToString(),
            ["Adobe__MaxCallsPerSecond"] = "0",
            // Every storage request of the host goes through the counting proxy.
            ["Storage__ConnectionString"] = proxy.ConnectionString,
            ["Storage__TableName"] = table,
            ["Durable__StorageConnectionString"] = proxy.ConnectionString,
            ["Durable__TaskHubName"] = hub,
            ["Durable__PartitionCount"] = settings.Partitions.ToString(),
            ["Durable__MaxConcurrentActivities"] = settings.Activities.ToString(),
            ["Durable__MaxConcurrentOrchestrations"] = settings.Orchestrations.ToString(),
            ["Durable__MaxQueuePollingInterval"] = "00:00:00.500",
            ["Api__StatusTokenKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["OnboardingSweepSchedule"] = "off",
            ["HistoryPurgeSchedule"] = "off",
            ["KeyVaultEventsQueue"] = "off",
            ["Onboarding__Preflight"] = "On",
            ["Preflight__AuthorityHost"] = $"https://127.0.0.1:{standInPort}/",
            ["Preflight__BlobEndpointTemplate"] = $"https://127.0.0.1:{standInPort}/{{account}}",
            ["Preflight__LoopbackCertificateThumbprint"] = thumbprint,
        };
        foreach (string pair in (Environment.GetEnvironmentVariable("BENCH_HOST_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] setting = pair.Split('=', 2);
            env[setting[0]] = setting.Length == 2 ? setting[1] : throw new ArgumentException($"BENCH_HOST_ENV: '{pair}' is not K=V");
        }

        await using ChildProcess host = ChildProcess.Start(settings.LocalHostDll, [], env);
        Console.WriteLine($"  local host: pid {host.Id}");
        Uri hostBase = new($"http://127.0.0.1:{hostPort}");
        await ProcessStats.WaitForHttpAsync(new Uri(hostBase, "/healthz"), TimeSpan.FromSeconds(60));
        await Task.Delay(Settings.Settle);
        using HttpClient http = new() { BaseAddress = hostBase, Timeout = TimeSpan.FromMinutes(2) };
        TableClient records = new(proxy.Upstream!.ConnectionString, table);
        using HttpClient simHttp = new() { BaseAddress = simBase };

        // --warmup W: W onboardings of other accounts through the same host first, until each is connected, so that the
        // measured run finds the host's code compiled (a long-running host pays its JIT once, not per onboarding).
        string warmLabel = "w" + label;
        if (settings.Warmup > 0)
        {
            Stopwatch warming = Stopwatch.StartNew();
            await PostAllAsync(http, warmLabel, settings.Warmup, [], []);
            while ((await ConnectedAsync(records, warmLabel))?.Count is not { } warm || warm < settings.Warmup)
            {
                if (warming.Elapsed > TimeSpan.FromMinutes(10))
                {
                    throw new TimeoutException($"The warm-up's {settings.Warmup} onboardings were not all connected after 10 minutes.");
                }

                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            Console.WriteLine($"  warm-up: {settings.Warmup} onboardings connected in {warming.Elapsed.TotalSeconds:F1} s");
            await Task.Delay(Settings.Settle);
        }

        await proxy.Upstream!.WaitForSweepFreeWindowAsync();
        JsonElement stats0 = await simHttp.GetFromJsonAsync<JsonElement>("/_simulator/stats");
        RequestCounts before = proxy.Snapshot();
        IReadOnlyDictionary<string, long> kindsBefore = proxy.Kinds();
        int? azurite = proxy.Upstream?.Id;
        TimeSpan simCpu0 = ProcessStats.Cpu(sim.Id), standInCpu0 = ProcessStats.Cpu(standIn.Id), ownCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        TimeSpan hostCpu0 = ProcessStats.Cpu(host.Id), azuriteCpu0 = azurite is { } a0 ? ProcessStats.Cpu(a0) : TimeSpan.Zero;

        Dictionary<string, DateTimeOffset> accepted = [];
        List<string> statusUrls = [];
        Stopwatch wall = Stopwatch.StartNew();
        DateTimeOffset t0 = DateTimeOffset.UtcNow;
        await PostAllAsync(http, label, settings.N, accepted, statusUrls);

        double acceptSeconds = wall.Elapsed.TotalSeconds;
        List<TableEntity> connected = [];
        while (wall.Elapsed < TimeSpan.FromMinutes(30))
        {
            // Each look at the account table is a filtered scan in Azurite, the process being measured: look only once
            // the simulator (its own process) holds a connection for every account of the run.
            JsonElement progress = await simHttp.GetFromJsonAsync<JsonElement>("/_simulator/stats");
            if (progress.GetProperty("connections").GetInt32() - stats0.GetProperty("connections").GetInt32() < settings.N)
            {
                await Task.Delay(Settings.CompletionPoll);
                continue;
            }

            connected = await ConnectedAsync(records, label) ?? connected;
            if (connected.Count >= settings.N)
            {
                break;
            }

            await Task.Delay(Settings.CompletionPoll);
        }

        if (connected.Count < settings.N)
        {
            // Given up (a connection never made, an onboarding lost): the figures report the rows that are there.
            connected = await ConnectedAsync(records, label) ?? connected;
        }

        // The engine's last episodes (completing the orchestrations) belong to the run: count until every instance completed.
        TableClient instances = new(proxy.Upstream!.ConnectionString, hub + "Instances");
        for (Stopwatch settle = Stopwatch.StartNew(); settle.Elapsed < TimeSpan.FromMinutes(5); await Task.Delay(Settings.CompletionPoll))
        {
            int completed = 0;
            await foreach (TableEntity _ in instances.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RuntimeStatus eq {"Completed"}"), select: ["PartitionKey"]))
            {
                completed++;
            }

            if (completed >= settings.N + settings.Warmup)
            {
                break;
            }
        }

        RequestCounts requests = proxy.Snapshot() - before;
        if (settings.Breakdown)
        {
            Console.WriteLine($"  requests of the measured run only, per onboarding (N = {settings.N}):");
            proxy.PrintKindsSince(kindsBefore, settings.N);
        }

        // Status polls, apart: each accepted onboarding's status URL read once, after the run.
        RequestCounts beforePolls = proxy.Snapshot();
        int polls = Math.Min(settings.StatusPolls, statusUrls.Count);
        foreach (string url in statusUrls.Take(polls))
        {
            (await http.GetAsync(url)).Dispose();
        }

        double perPoll = polls == 0 ? double.NaN : (proxy.Snapshot() - beforePolls).Total / (double)polls;
        if (connected.Count == 0)
        {
            throw new TimeoutException($"Not one of the {settings.N} onboardings ({label}) was connected within 30 minutes.");
        }

        DateTimeOffset last = connected.Max(e => e.GetDateTimeOffset("UpdatedAt")!.Value);
        double wallSeconds = (last - t0).TotalSeconds;
        if (settings.Breakdown)
        {
            Console.WriteLine($"  workflow ({label}) " + ProcessStats.Timeline(connected.Select(e => e.GetDateTimeOffset("UpdatedAt")!.Value), t0, TimeSpan.FromSeconds(2)));
        }

        double[] latencies = [.. connected.Select(e => (e.GetDateTimeOffset("UpdatedAt")!.Value - accepted[e.RowKey]).TotalSeconds).Order()];
        TimeSpan hostCpu = ProcessStats.Cpu(host.Id) - hostCpu0;
        double otherCpu = (ProcessStats.Cpu(sim.Id) - simCpu0 + (ProcessStats.Cpu(standIn.Id) - standInCpu0)).TotalSeconds;
        double ownCpu = (Process.GetCurrentProcess().TotalProcessorTime - ownCpu0).TotalSeconds;
        TimeSpan azuriteCpu = azurite is { } a1 ? ProcessStats.Cpu(a1) - azuriteCpu0 : TimeSpan.Zero;
        JsonElement stats = await simHttp.GetFromJsonAsync<JsonElement>("/_simulator/stats");
        int Delta(string name) => stats.GetProperty(name).GetInt32() - stats0.GetProperty(name).GetInt32();

        return new OnboardingFigures(
            settings.N, wallSeconds, settings.N / wallSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99),
            Delta("calls") / (double)settings.N, Delta("throttled"), stats.GetProperty("peakConcurrentCalls").GetInt32(),
            Delta("connections"), Delta("distinctAccounts"),
            hostCpu.TotalSeconds, ProcessStats.PeakMemoryMiB(host.Id), azuriteCpu.TotalSeconds, azurite is { } a2 ? ProcessStats.PeakMemoryMiB(a2) : double.NaN,
            requests, perPoll, acceptSeconds, otherCpu, ownCpu, proxy.Upstream!.SweepsBetween(t0, last));
    }

    /// <summary>Posts <paramref name="count"/> onboardings of accounts named label00000…, 64 at a time; each must be accepted (202).</summary>
    private static async Task PostAllAsync(HttpClient http, string label, int count, Dictionary<string, DateTimeOffset> accepted, List<string> statusUrls)
    {
        using SemaphoreSlim parallel = new(64);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await parallel.WaitAsync();
            try
            {
                string account = $"{label}{i:D5}";
                HttpResponseMessage response = await http.PostAsJsonAsync("/api/onboardings", new
                {
                    storageAccountUrl = $"https://{account}.dfs.core.windows.net",
                    // The service principal appsettings.json binds sample-sp-key to (Secrets:LocalTags).
                    clientId = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                    tenant = "contoso.onmicrosoft.com",
                    secretName = "sample-sp-key",
                    sandbox = "prod",
                });
                if ((int)response.StatusCode != 202)
                {
                    throw new InvalidOperationException($"{account}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }

                lock (accepted)
                {
                    accepted[account] = DateTimeOffset.UtcNow;
                    statusUrls.Add(response.Headers.Location!.ToString());
                }
            }
            finally
            {
                parallel.Release();
            }
        }));
    }

    /// <summary>The connected rows of accounts named label…, or null when the table cannot be read yet.</summary>
    private static async Task<List<TableEntity>?> ConnectedAsync(TableClient records, string label)
    {
        List<TableEntity> rows = [];
        try
        {
            await foreach (TableEntity row in records.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Status eq {"Connected"}"), select: ["RowKey", "UpdatedAt"]))
            {
                if (row.RowKey.StartsWith(label, StringComparison.Ordinal))
                {
                    rows.Add(row);
                }
            }
        }
        catch (Azure.RequestFailedException)
        {
            return null;
        }

        return rows;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
