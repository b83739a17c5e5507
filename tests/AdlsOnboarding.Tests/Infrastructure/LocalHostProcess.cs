using System.Diagnostics;
using System.Text;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>
/// The local host as a separate process (as <c>scripts/run-local.sh</c> starts it): real HTTP on a loopback port,
/// the Azure Storage durable provider on Azurite. It can be killed and started again on the same task hub.
/// </summary>
public sealed class LocalHostProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private LocalHostProcess(Dictionary<string, string> environment, int port)
    {
        _environment = environment;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>A start on a loaded machine (JIT, Azurite's task hub tables, lease take-over after a kill) takes a while.</summary>
    public static TimeSpan StartTimeout { get; } = TimeSpan.FromMinutes(2);

    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the host with the given settings (configuration keys, e.g. <c>Adobe:ClientId</c>).</summary>
    public static async Task<LocalHostProcess> StartAsync(Dictionary<string, string?> settings)
    {
        await Azurite.EnsureRunningAsync();
        Dictionary<string, string> environment = settings
            .Where(s => s.Value is not null)
            .ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        environment.TryAdd("LocalHost__Urls", $"http://127.0.0.1:{WorkflowHarness.FreePort()}");
        int port = new Uri(environment["LocalHost__Urls"].Split(';')[0]).Port;
        environment["LocalSettingsPath"] = "/nonexistent/local.settings.json";
        environment["Logging__LogLevel__Default"] = "Warning";
        LocalHostProcess host = new(environment, port);
        try
        {
            await host.StartAgainAsync();
        }
        catch
        {
            // A host that never answered is not left running behind the failed test.
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>
    /// Starts the host again on the same task hub and port; <paramref name="change"/> first edits its settings
    /// (configuration keys, e.g. <c>Retention:MaxAge</c>), for a test that needs a job off until it has seen a state.
    /// </summary>
    public async Task StartAgainAsync(Action<Dictionary<string, string>>? change = null)
    {
        if (change is not null)
        {
            Dictionary<string, string> settings = _environment.ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => e.Value);
            change(settings);
            _environment.Clear();
            foreach ((string key, string value) in settings)
            {
                _environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
        }

        ProcessStartInfo start = new("dotnet", [HostDll()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(HostDll())!,
        };
        foreach ((string key, string value) in _environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // No short per-request timeout: a busy machine may take seconds to answer; only the overall deadline decides.
        using HttpClient http = new() { BaseAddress = BaseAddress, Timeout = Eventually.DefaultTimeout };
        Process process = _process;
        await Eventually.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    // Let the redirected output drain first, so the message says why it exited.
                    process.WaitForExit();
                    throw new InvalidOperationException($"The local host exited with {process.ExitCode}:\n{Output}");
                }

                using HttpResponseMessage response = await http.GetAsync("/healthz");
                return response.IsSuccessStatusCode;
            },
            () => Output,
            $"the local host to answer {BaseAddress}healthz",
            StartTimeout);
    }

    /// <summary>Kills the host at once (no graceful shutdown), as a crash or a pulled plug would.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>The local host's build output, in the configuration the tests were built in.</summary>
    private static string HostDll() =>
        Path.Combine(AdlsOnboarding.Tests.Api.LocalFiles.Root, "src", "AdlsOnboarding.LocalHost", "bin", AdlsOnboarding.Tests.Api.LocalFiles.Configuration, "net10.0", "AdlsOnboarding.LocalHost.dll");
}
