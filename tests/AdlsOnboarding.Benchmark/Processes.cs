using System.Diagnostics;
using System.Net.Sockets;

namespace AdlsOnboarding.Benchmark;

/// <summary>A child process of the benchmark (simulator, local host), with its CPU time and peak memory.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

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
        process.OutputDataReceived += (_, _) => { };
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

    /// <summary>Azurite's process (node running azurite), if it runs on this machine.</summary>
    public static int? AzuritePid()
    {
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid))
            {
                try
                {
                    string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                    if (cmdline.Contains("azurite", StringComparison.Ordinal) && cmdline.Contains("node", StringComparison.Ordinal))
                    {
                        return pid;
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        return null;
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
