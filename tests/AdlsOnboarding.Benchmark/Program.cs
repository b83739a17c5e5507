using System.Globalization;
using System.Text;
using AdlsOnboarding.Benchmark;

// scripts/benchmark.sh [--n 1000] [--latency 100] [--cap 20] [--sample 50] [--partitions 4] [--activities 20] [--orchestrations = activities] [--warmup 200] [--direct]
//                      [--only bare|workflow] [--breakdown] [--repeat K]   (BENCH_HOST_ENV="K=V;K=V" adds settings to the measured local host)
//                      [--status-polls 200] [--localhost path/to/AdlsOnboarding.LocalHost.dll]
Settings settings;
try
{
    settings = Settings.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"benchmark: {ex.Message} (the options are listed at the top of tests/AdlsOnboarding.Benchmark/Program.cs)");
    return 2;
}

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
Console.WriteLine($"Benchmark: N={settings.N}, latency {settings.LatencyMs} ms, cap {settings.Cap}, partitions {settings.Partitions}, activities/orchestrations at once {settings.Activities}/{settings.Orchestrations}");
Console.WriteLine($"Local host: {settings.LocalHostDll}");

// Every storage request of the host (and of the bare engine) goes through one counting proxy in front of Azurite.
await using CountingProxy proxy = await CountingProxy.StartAsync();
proxy.Direct = settings.Direct;
if (settings.Direct)
{
    Console.WriteLine("--direct: storage requests go straight to Azurite and are not counted (the request lines read 0).");
}

// Each measured phase runs on a fresh Azurite of its own (AzuriteProcess): no phase pays for another's data.
async Task<T> OnFreshAzurite<T>(Func<Task<T>> phase)
{
    IReadOnlyDictionary<string, long> kinds0 = proxy.Kinds();
    IReadOnlyList<(string Service, long Sent, long Received)> bytes0 = proxy.Bytes();
    await using AzuriteProcess azurite = await AzuriteProcess.StartAsync(settings);
    proxy.Upstream = azurite;
    try
    {
        return await phase();
    }
    finally
    {
        proxy.Upstream = null;
        if (settings.Breakdown)
        {
            // The whole phase (its warm-up included, and the engine's start-up) divided by every onboarding it ran.
            double onboardings = settings.N + settings.Warmup;
            Console.WriteLine($"  requests and bytes of the whole phase per onboarding, warm-up included ({onboardings:F0}):");
            foreach (((string service, long sent, long received), (_, long sent0, long received0)) in proxy.Bytes().Zip(bytes0))
            {
                Console.WriteLine($"  {service} bytes per onboarding: {(sent - sent0) / onboardings:F0} sent to Azurite, {(received - received0) / onboardings:F0} received");
            }

            proxy.PrintKindsSince(kinds0, onboardings);
        }
    }
}

// --only bare | --only workflow: one phase, its main figures (for investigating one side; no targets checked).
if (settings.Only == "bare")
{
    BareFigures alone = await OnFreshAzurite(() => BareEngineRun.RunAsync(settings, proxy));
    Console.WriteLine($"bare engine: wall {alone.WallSeconds:F1} s, {alone.PerSecond:F1}/s, Azurite CPU {alone.AzuriteCpuSeconds / settings.N * 1000:F1} ms and {alone.Requests.Engine / (double)settings.N:F1} requests per orchestration, {alone.QueueSweeps} Azurite queue sweeps inside the run");
    return 0;
}

if (settings.Only == "workflow")
{
    OnboardingFigures alone = await OnFreshAzurite(() => OnboardingRun.RunAsync(settings, settings.LatencyMs, settings.Cap, "lat", proxy));
    Console.WriteLine($"workflow: wall {alone.WallSeconds:F1} s, {alone.PerSecond:F1}/s, p50/p95/p99 {alone.P50:F1}/{alone.P95:F1}/{alone.P99:F1} s, all {settings.N} accepted in {alone.AcceptSeconds:F1} s; per onboarding: host CPU {alone.HostCpuSeconds / settings.N * 1000:F1} ms, Azurite CPU {alone.AzuriteCpuSeconds / settings.N * 1000:F1} ms, simulator + Entra/blob stand-in CPU {alone.StandInsCpuSeconds / settings.N * 1000:F1} ms, benchmark process CPU {alone.BenchmarkCpuSeconds / settings.N * 1000:F1} ms, host peak memory {alone.HostPeakMiB:F0} MiB, {alone.Requests.Engine / (double)settings.N:F1} engine + {alone.Requests.AccountTable / (double)settings.N:F1} account-table requests, {alone.CallsPerOnboarding:F2} Flow Service calls ({alone.Throttled} throttled), {alone.QueueSweeps} Azurite queue sweeps inside the run");
    return 0;
}

// --repeat K: the three timed phases K times, in turns (so a drift of the machine's speed touches each alike); each
// phase's figures are those of its median-wall run (Azurite's cost per request varies about 30 % between identical runs).
List<OnboardingFigures> adobes = [], instants = [];
List<BareFigures> bares = [];
double seqPerAccount = 0, seqProjected = 0;
for (int round = 1; round <= settings.Repeat; round++)
{
    string of = settings.Repeat > 1 ? $" (round {round} of {settings.Repeat})" : "";
    Console.WriteLine($"1/4 onboardings against Adobe with latency{of}...");
    adobes.Add(await OnFreshAzurite(() => OnboardingRun.RunAsync(settings, settings.LatencyMs, settings.Cap, "lat", proxy)));
    if (round == 1)
    {
        Console.WriteLine("2/4 the sequential client (sample)...");
        (seqPerAccount, seqProjected) = await SequentialClient.MeasureAsync(settings, settings.LatencyMs);
    }

    Console.WriteLine($"3/4 onboardings against an instant Adobe{of}...");
    instants.Add(await OnFreshAzurite(() => OnboardingRun.RunAsync(settings, 0, 0, "ins", proxy)));
    Console.WriteLine($"4/4 the bare engine: native TaskHubWorker, one no-op activity{of}...");
    bares.Add(await OnFreshAzurite(() => BareEngineRun.RunAsync(settings, proxy)));
}

static T MedianRun<T>(List<T> runs, Func<T, double> wall) => runs.OrderBy(wall).ElementAt((runs.Count - 1) / 2);
OnboardingFigures adobe = MedianRun(adobes, f => f.WallSeconds), instant = MedianRun(instants, f => f.WallSeconds);
BareFigures bare = MedianRun(bares, f => f.WallSeconds);
static string Walls(IEnumerable<double> walls) => string.Join(", ", walls.Select(w => w.ToString("F1", CultureInfo.InvariantCulture)));
bool noneLostAnyRun = adobes.Concat(instants).All(f => f.Connections == settings.N && f.DistinctAccounts == settings.N);

int n = settings.N;
double bound = n * adobe.CallsPerOnboarding * settings.LatencyMs / 1000.0 / settings.Cap;
double PerOnboarding(long requests) => requests / (double)n;
double engine = PerOnboarding(adobe.Requests.Engine), account = PerOnboarding(adobe.Requests.AccountTable), total = PerOnboarding(adobe.Requests.Total);
double bareEngine = PerOnboarding(bare.Requests.Engine);
double wallRatio = adobe.WallSeconds / Math.Max(bound, bare.WallSeconds);
double speedUp = seqProjected / adobe.WallSeconds;
double instantRatio = instant.PerSecond / bare.PerSecond;
double peakMiB = Math.Max(adobe.HostPeakMiB, instant.HostPeakMiB);
string Check(bool met) => met ? "met" : "MISSED";

StringBuilder report = new();
report.AppendLine($"| Profile: Adobe latency {settings.LatencyMs} ms, cap {settings.Cap}, N = {n}{(settings.Direct ? ", --direct (no counting proxy: request counts not taken)" : "")} | |");
report.AppendLine("|---|---|");
report.AppendLine($"| wall time | {adobe.WallSeconds:F1} s |");
report.AppendLine($"| onboardings/s | {adobe.PerSecond:F1} |");
report.AppendLine($"| all N accepted (202) after | {adobe.AcceptSeconds:F1} s |");
report.AppendLine($"| start-to-connected p50 / p95 / p99 | {adobe.P50:F1} / {adobe.P95:F1} / {adobe.P99:F1} s |");
report.AppendLine($"| Flow Service calls per onboarding (simulator's count) | {adobe.CallsPerOnboarding:F2} |");
report.AppendLine($"| 429s from the cap | {adobe.Throttled} |");
report.AppendLine($"| peak concurrent Flow Service calls | {adobe.PeakAdobeConcurrency} |");
report.AppendLine($"| connections / distinct accounts | {adobe.Connections} / {adobe.DistinctAccounts} |");
report.AppendLine($"| host CPU per onboarding / peak memory | {adobe.HostCpuSeconds / n * 1000:F1} ms / {adobe.HostPeakMiB:F0} MiB |");
report.AppendLine($"| Azurite CPU per onboarding / peak memory | {adobe.AzuriteCpuSeconds / n * 1000:F1} ms / {adobe.AzuritePeakMiB:F0} MiB |");
report.AppendLine($"| CPU per onboarding of the stand-ins (Flow Service simulator, Entra + blob stand-in) / of the benchmark process (client, observer, proxy) | {adobe.StandInsCpuSeconds / n * 1000:F1} ms / {adobe.BenchmarkCpuSeconds / n * 1000:F1} ms |");
report.AppendLine($"| Adobe bound N × calls × latency ÷ cap | {bound:F1} s |");
report.AppendLine($"| bare engine wall (same N, one no-op activity) | {bare.WallSeconds:F1} s |");
report.AppendLine($"| Azurite queue sweeps inside the run (workflow / instant / bare; each phase starts just after one, see AzuriteProcess) | {adobe.QueueSweeps} / {instant.QueueSweeps} / {bare.QueueSweeps} |");
if (settings.Repeat > 1)
{
    report.AppendLine($"| walls of the {settings.Repeat} rounds, workflow / instant / bare (each phase's figures: its median run) | {Walls(adobes.Select(f => f.WallSeconds))} / {Walls(instants.Select(f => f.WallSeconds))} / {Walls(bares.Select(f => f.WallSeconds))} s |");
}

report.AppendLine($"| sequential client: s per account (sample {settings.SequentialSample}) / projected for N | {seqPerAccount:F3} s / {seqProjected:F1} s |");
report.AppendLine();
report.AppendLine($"| Storage requests per onboarding (counting proxy), N = {n} | workflow, Adobe {settings.LatencyMs} ms | workflow, instant Adobe | bare engine, one activity |");
report.AppendLine("|---|---|---|---|");
report.AppendLine($"| durable engine: blob / queue / table | {PerOnboarding(adobe.Requests.EngineBlob):F1} / {PerOnboarding(adobe.Requests.EngineQueue):F1} / {PerOnboarding(adobe.Requests.EngineTable):F1} | {PerOnboarding(instant.Requests.EngineBlob):F1} / {PerOnboarding(instant.Requests.EngineQueue):F1} / {PerOnboarding(instant.Requests.EngineTable):F1} | {PerOnboarding(bare.Requests.EngineBlob):F1} / {PerOnboarding(bare.Requests.EngineQueue):F1} / {PerOnboarding(bare.Requests.EngineTable):F1} |");
report.AppendLine($"| **durable engine** | **{engine:F1}** | {PerOnboarding(instant.Requests.Engine):F1} | **{bareEngine:F1}** |");
report.AppendLine($"| **account table** | **{account:F1}** | {PerOnboarding(instant.Requests.AccountTable):F1} | – |");
report.AppendLine($"| **total (status polls excluded)** | **{total:F1}** | {PerOnboarding(instant.Requests.Total):F1} | {PerOnboarding(bare.Requests.Total):F1} |");
report.AppendLine($"| per status poll (each status URL read once after the run) | {adobe.RequestsPerStatusPoll:F1} | {instant.RequestsPerStatusPoll:F1} | – |");
report.AppendLine();
report.AppendLine($"| Profile: instant Adobe (0 ms), N = {n} | ours | bare engine |");
report.AppendLine("|---|---|---|");
report.AppendLine($"| onboardings/s | {instant.PerSecond:F1} | {bare.PerSecond:F1} |");
report.AppendLine($"| wall time | {instant.WallSeconds:F1} s | {bare.WallSeconds:F1} s |");
report.AppendLine($"| CPU per onboarding | {instant.HostCpuSeconds / n * 1000:F1} ms (host process) | {bare.CpuSeconds / n * 1000:F1} ms (benchmark process: engine + client + proxy) |");
report.AppendLine($"| Azurite CPU per onboarding | {instant.AzuriteCpuSeconds / n * 1000:F1} ms | {bare.AzuriteCpuSeconds / n * 1000:F1} ms |");
report.AppendLine($"| Flow Service calls per onboarding | {instant.CallsPerOnboarding:F2} | 0 |");
report.AppendLine();
report.AppendLine("| Target (issue 18) | measured | |");
report.AppendLine("|---|---|---|");
report.AppendLine($"| durable-engine requests ≤ 1.3 × bare one-activity engine | {engine:F1} ÷ {bareEngine:F1} = {engine / bareEngine:F2} × | {Check(engine <= 1.3 * bareEngine)} |");
report.AppendLine($"| account-table requests ≤ 4 | {account:F1} | {Check(account <= 4)} |");
report.AppendLine($"| total requests ≤ 28 per onboarding (status polls excluded) | {total:F1} | {Check(total <= 28)} |");
report.AppendLine($"| wall ≤ 1.2 × max(Adobe bound, bare wall) | {adobe.WallSeconds:F1} ÷ max({bound:F1}, {bare.WallSeconds:F1}) = {wallRatio:F2} | {Check(wallRatio <= 1.2)} |");
report.AppendLine($"| speed-up over the sequential client ≥ 2 × | {speedUp:F2} × | {Check(speedUp >= 2)} |");
report.AppendLine($"| instant Adobe: throughput ≥ 0.8 × bare engine | {instantRatio:F2} × | {Check(instantRatio >= 0.8)} |");
report.AppendLine($"| host peak memory ≤ 300 MB | {peakMiB:F0} MiB | {Check(peakMiB * 1.048576 <= 300)} |");
report.AppendLine($"| no duplicate, no lost onboarding | {adobe.Connections} connections / {adobe.DistinctAccounts} accounts / N {n}; instant {instant.Connections} / {instant.DistinctAccounts} | {Check(noneLostAnyRun)}{(settings.Repeat > 1 ? " (every round)" : "")} |");

Console.WriteLine();
Console.WriteLine(report);
string output = Path.Combine(settings.Root, ".run", "benchmark");
Directory.CreateDirectory(output);
await File.WriteAllTextAsync(Path.Combine(output, "result.md"), report.ToString());
Console.WriteLine($"Written to {Path.Combine(output, "result.md")}");
return adobe.Connections == n && adobe.DistinctAccounts == n ? 0 : 1;
