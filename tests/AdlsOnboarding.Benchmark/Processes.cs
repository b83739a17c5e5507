using System.Diagnostics;
using System.Net.Sockets;

namespace AdlsOnboarding.Benchmark;

/// <summary>A child process of the benchmark (simulator, local host), with its CPU time and peak memory.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    /// <summary>
    /// BENCH_CHILD_LOG=path: every child's standard output, prefixed with its time and name, appended to one file (for
    /// investigating). One writer for all children: writers of their own would each keep their own file position.
    /// </summary>
    private static readonly Lazy<StreamWriter?> ChildLog = new(() =>
        Environment.GetEnvironmentVariable("BENCH_CHILD_LOG") is { Length: > 0 } path ? new StreamWriter(path, append: true) { AutoFlush = true } : null);

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static ChildProcess Start(string dll, IEnumerable<string> args, IDictionary<string, string> environment)
    {
        ProcessStartInfo start = new("dotnet", [dll, .. args]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }

        Process process = Process.Start(start)!;
        string name = Path.GetFileNameWithoutExtension(dll);
        process.OutputDataReceived += (_, e) =>
        {
            if (ChildLog.Value is { } log && e.Data is not null)
            {
                lock (log)
                {
                    log.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} [{name}] {e.Data}");
                }
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"  [{Path.GetFileNameWithoutExtension(dll)}] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

/// <summary>CPU time and peak resident memory of a process, read from /proc.</summary>
internal static class ProcessStats
{
    /// <summary>
    /// Completions per <paramref name="bucket"/> since <paramref name="t0"/>, one line (for <c>--breakdown</c>): where a run's
    /// wall time goes, e.g. a slow start or a long tail.
    /// </summary>
    public static string Timeline(IEnumerable<DateTimeOffset> completions, DateTimeOffset t0, TimeSpan bucket)
    {
        int[] buckets = [.. completions.Select(at => Math.Max(0, (int)((at - t0) / bucket)))];
        int[] counts = new int[buckets.DefaultIfEmpty(0).Max() + 1];
        foreach (int b in buckets)
        {
            counts[b]++;
        }

        return $"completions per {bucket.TotalSeconds:F0} s from the first request: {string.Join(' ', counts)}";
    }

    public static TimeSpan Cpu(int pid)
    {
        using Process process = Process.GetProcessById(pid);
        return process.TotalProcessorTime;
    }

    /// <summary>Peak resident set size (VmHWM) in MiB.</summary>
    public static double PeakMemoryMiB(int pid)
    {
        string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    public static int FreePort()
    {
        using TcpListener listener = new(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits for a file another process writes whole (then renames), and returns its text.</summary>
    public static async Task<string> WaitForFileAsync(string path, TimeSpan timeout)
    {
        DateTimeOffset deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (File.Exists(path))
            {
                string text = (await File.ReadAllTextAsync(path)).Trim();
                File.Delete(path);
                return text;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{path} was not written");
    }

    public static async Task WaitForHttpAsync(Uri url, TimeSpan timeout)
    {
        // Each try may take as long as the whole wait: a loaded machine answers slowly, and only the deadline decides.
        using HttpClient http = new() { Timeout = timeout };
        DateTimeOffset deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                await http.GetAsync(url);
                return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{url} did not answer");
    }
}

/// <summary>
/// An Azurite of the benchmark's own (in memory, silent, free loopback ports), started fresh for each phase: Azurite's
/// in-memory store grows slower per request as it fills, so a phase that ran on the store an earlier phase (or a test
/// run) had filled would pay for their data, and the order of the phases would decide the comparison.
/// Azurite's queue service also sweeps unreferenced message extents every <see cref="QueueSweepInterval"/> from its
/// start (QueueGCManager; not configurable). A sweep deletes them one at a time and re-sorts the extent index after each,
/// so it stalls Azurite, single-threaded, for a time that grows with the square of the messages deleted since the last
/// one: about 7 s of Azurite CPU at the end of a 1,000-onboarding run. Each phase therefore starts its measured run just
/// after the sweep at one interval (<see cref="WaitForSweepFreeWindowAsync"/>), so no run shorter than the interval
/// pays for one, and a run reports the sweeps that fell inside it (<see cref="SweepsBetween"/>).
/// </summary>
internal sealed class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's queue GC interval (azurite/dist/src/queue/utils/constants.js, DEFAULT_GC_INTERVAL_MS).</summary>
    public static readonly TimeSpan QueueSweepInterval = TimeSpan.FromSeconds(60);

    /// <summary>How long after a sweep's nominal time a run starts (node's start-up and the sweep itself come before).</summary>
    private static readonly TimeSpan SweepMargin = TimeSpan.FromSeconds(3);

    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process _process;
    private readonly string _workingDirectory;
    private readonly DateTimeOffset _launched = DateTimeOffset.UtcNow;

    private AzuriteProcess(Process process, string workingDirectory, int blob, int queue, int table)
    {
        _process = process;
        _workingDirectory = workingDirectory;
        (BlobPort, QueuePort, TablePort) = (blob, queue, table);
    }

    public int Id => _process.Id;

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    /// <summary>
    /// Waits until just after Azurite's next queue sweep (the first after its start-up one at the earliest), so that
    /// the sweep after it falls <see cref="QueueSweepInterval"/> minus the margin into the measured run. A phase whose
    /// start-up (and warm-up) took longer than one interval waits for the following sweep.
    /// </summary>
    public Task WaitForSweepFreeWindowAsync()
    {
        TimeSpan since = DateTimeOffset.UtcNow - _launched - SweepMargin;
        long next = Math.Max(1, (long)Math.Ceiling(since / QueueSweepInterval));
        TimeSpan wait = _launched + (QueueSweepInterval * next) + SweepMargin - DateTimeOffset.UtcNow;
        return wait > TimeSpan.Zero ? Task.Delay(wait) : Task.CompletedTask;
    }

    /// <summary>How many of Azurite's queue sweeps fell between <paramref name="from"/> and <paramref name="to"/> (nominally).</summary>
    public int SweepsBetween(DateTimeOffset from, DateTimeOffset to)
    {
        static long Index(TimeSpan sinceLaunch) => (long)Math.Floor(sinceLaunch / QueueSweepInterval);
        return (int)(Index(to - _launched) - Index(from - _launched));
    }

    public static string ConnectionStringFor(int blob, int queue, int table) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";

    public static async Task<AzuriteProcess> StartAsync(Settings settings)
    {
        string bin = Path.Combine(settings.Root, "tools", "azurite", "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(bin))
        {
            throw new InvalidOperationException($"{bin} not found: scripts/benchmark.sh installs Azurite (scripts/azurite.sh install).");
        }

        (int blob, int queue, int table) = (ProcessStats.FreePort(), ProcessStats.FreePort(), ProcessStats.FreePort());
        string location = Path.Combine(Path.GetTempPath(), "bench-azurite-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(location);
        ProcessStartInfo start = new("node",
        [
            bin, "--silent", "--disableTelemetry", "--inMemoryPersistence", "--skipApiVersionCheck", "--disableProductStyleUrl",
            "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(), "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(),
            "--tableHost", "127.0.0.1", "--tablePort", table.ToString(),
        ])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = location,
        };
        Process process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"  [azurite] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AzuriteProcess azurite = new(process, location, blob, queue, table);
        DateTimeOffset deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using TcpClient probe = new();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, table);
                using TcpClient probeQueue = new();
                await probeQueue.ConnectAsync(System.Net.IPAddress.Loopback, queue);
                using TcpClient probeBlob = new();
                await probeBlob.ConnectAsync(System.Net.IPAddress.Loopback, blob);
                return azurite;
            }
            catch (SocketException) when (DateTimeOffset.UtcNow < deadline)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with {process.ExitCode} before it listened.");
                }

                await Task.Delay(200);
            }
            catch (SocketException)
            {
                throw new TimeoutException("Azurite did not listen within 60 s.");
            }
        }
    }

    /// <summary>TERM, a short wait, then KILL: Azurite ignores TERM for long once clients have connected.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (Process.Start("kill", ["-TERM", _process.Id.ToString()]))
            {
                // kill(1) sends the signal; .NET has no API for TERM.
            }

            using CancellationTokenSource wait = new(TimeSpan.FromSeconds(2));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        Directory.Delete(_workingDirectory, recursive: true);
    }
}
