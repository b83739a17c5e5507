using System.Globalization;
using System.Text;
using AdlsOnboarding.Benchmark;

// scripts/benchmark.sh [--n 1000] [--latency 100] [--cap 20] [--sample 50] [--partitions 4] [--activities 20]
Settings settings = Settings.Parse(args);
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
Console.WriteLine($"Benchmark: N={settings.N}, latency {settings.LatencyMs} ms, cap {settings.Cap}, partitions {settings.Partitions}, activities/orchestrations at once {settings.Activities}/{settings.Orchestrations}");

Console.WriteLine("1/4 onboardings against Adobe with latency...");
OnboardingFigures adobe = await OnboardingRun.RunAsync(settings, settings.LatencyMs, settings.Cap, "lat");
Console.WriteLine("2/4 the sequential client (sample)...");
(double seqPerAccount, double seqProjected) = await SequentialClient.MeasureAsync(settings, settings.LatencyMs);
Console.WriteLine("3/4 onboardings against an instant Adobe...");
OnboardingFigures instant = await OnboardingRun.RunAsync(settings, 0, 0, "ins");
Console.WriteLine("4/4 the bare engine, same shape...");
(double bareWall, double barePerSecond, double bareCpu) = await BareEngineRun.RunAsync(settings);

double bound = settings.N * adobe.CallsPerOnboarding * settings.LatencyMs / 1000.0 / settings.Cap;
StringBuilder report = new();
report.AppendLine($"| Profile: Adobe latency {settings.LatencyMs} ms, cap {settings.Cap}, N = {settings.N} | |");
report.AppendLine("|---|---|");
report.AppendLine($"| wall time | {adobe.WallSeconds:F1} s |");
report.AppendLine($"| onboardings/s | {adobe.PerSecond:F1} |");
report.AppendLine($"| start-to-connected p50 / p95 / p99 | {adobe.P50:F1} / {adobe.P95:F1} / {adobe.P99:F1} s |");
report.AppendLine($"| Flow Service calls per onboarding (simulator's count) | {adobe.CallsPerOnboarding:F2} |");
report.AppendLine($"| 429s from the cap | {adobe.Throttled} |");
report.AppendLine($"| peak concurrent Flow Service calls | {adobe.PeakAdobeConcurrency} |");
report.AppendLine($"| connections / distinct accounts | {adobe.Connections} / {adobe.DistinctAccounts} |");
report.AppendLine($"| host CPU per onboarding / peak memory | {adobe.HostCpuSeconds / settings.N * 1000:F1} ms / {adobe.HostPeakMiB:F0} MiB |");
report.AppendLine($"| Azurite CPU per onboarding / peak memory | {adobe.AzuriteCpuSeconds / settings.N * 1000:F1} ms / {adobe.AzuritePeakMiB:F0} MiB |");
report.AppendLine($"| Adobe bound N × calls × latency ÷ cap | {bound:F1} s |");
report.AppendLine($"| wall ÷ Adobe bound | {adobe.WallSeconds / bound:F2} |");
report.AppendLine($"| bare engine wall (same N, 4 activities) | {bareWall:F1} s |");
report.AppendLine($"| wall ÷ max(Adobe bound, bare engine wall) | {adobe.WallSeconds / Math.Max(bound, bareWall):F2} |");
report.AppendLine($"| sequential client: s per account (sample {settings.SequentialSample}) / projected for N | {seqPerAccount:F3} s / {seqProjected:F1} s |");
report.AppendLine($"| speed-up over the sequential client | {seqProjected / adobe.WallSeconds:F1} × |");
report.AppendLine();
report.AppendLine($"| Profile: instant Adobe (0 ms), N = {settings.N} | ours | bare engine |");
report.AppendLine("|---|---|---|");
report.AppendLine($"| onboardings/s | {instant.PerSecond:F1} | {barePerSecond:F1} |");
report.AppendLine($"| CPU per onboarding (host process) | {instant.HostCpuSeconds / settings.N * 1000:F1} ms | {bareCpu / settings.N * 1000:F1} ms |");
report.AppendLine($"| Azurite CPU per onboarding | {instant.AzuriteCpuSeconds / settings.N * 1000:F1} ms | (not separated) |");
report.AppendLine($"| ours ÷ bare engine, throughput | {instant.PerSecond / barePerSecond:F2} | |");
report.AppendLine($"| Flow Service calls per onboarding | {instant.CallsPerOnboarding:F2} | 0 |");

Console.WriteLine();
Console.WriteLine(report);
string output = Path.Combine(settings.Root, ".run", "benchmark");
Directory.CreateDirectory(output);
await File.WriteAllTextAsync(Path.Combine(output, "result.md"), report.ToString());
Console.WriteLine($"Written to {Path.Combine(output, "result.md")}");
return adobe.Connections == settings.N && adobe.DistinctAccounts == settings.N ? 0 : 1;
