namespace AdlsOnboarding.Benchmark;

/// <summary>The benchmark's parameters (command line) and where the built programs are.</summary>
internal sealed record Settings(string Root, int N, int LatencyMs, int Cap, int SequentialSample, int Partitions, int Activities, int Orchestrations, string? LocalHostOverride = null, int StatusPolls = 200, bool Direct = false, string? Only = null, bool Breakdown = false, int Repeat = 1, int Warmup = 0)
{
    /// <summary>How long a freshly started engine is left to take its partition leases before a measured run.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often a phase looks for the end of the run. Completion times come from the rows' own timestamps, so this
    /// only decides when the phase stops, not the figure; each look is a filtered scan of a 1,000-row table in Azurite
    /// (at 250 ms, as before, the observer took about a third of Azurite's CPU and slowed what it measured).
    /// </summary>
    public static readonly TimeSpan CompletionPoll = TimeSpan.FromSeconds(3);

    public string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>The local host to measure: this build's, or another build's (<c>--localhost path/AdlsOnboarding.LocalHost.dll</c>, e.g. an older release for the old figures).</summary>
    public string LocalHostDll => LocalHostOverride ?? Path.Combine(Root, "src", "AdlsOnboarding.LocalHost", "bin", Configuration, "net10.0", "AdlsOnboarding.LocalHost.dll");

    public string SimulatorDll => Path.Combine(Root, "src", "AdlsOnboarding.Simulator", "bin", Configuration, "net10.0", "AdlsOnboarding.Simulator.dll");

    public static Settings Parse(string[] args)
    {
        int Int(string name, int fallback)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int value) ? value : fallback;
        }

        DirectoryInfo? root = new(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Functions.sln")))
        {
            root = root.Parent;
        }

        int activities = Int("--activities", 20);
        int at = Array.IndexOf(args, "--localhost");
        string? localHost = at >= 0 && at + 1 < args.Length ? Path.GetFullPath(args[at + 1]) : null;
        return new Settings(root?.FullName ?? throw new InvalidOperationException("Repository root not found."),
            Int("--n", 1000), Int("--latency", 100), Int("--cap", 20), Int("--sample", 50), Int("--partitions", 4), activities, Int("--orchestrations", activities), localHost, Int("--status-polls", 200),
            Direct: args.Contains("--direct"),
            Only: Array.IndexOf(args, "--only") is var only && only >= 0 && only + 1 < args.Length ? args[only + 1] : null,
            Breakdown: args.Contains("--breakdown"),
            Repeat: Math.Max(1, Int("--repeat", 1)),
            Warmup: Math.Max(0, Int("--warmup", 200)));
    }
}
