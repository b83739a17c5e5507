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

    /// <summary>The options that take a whole number, with the values each accepts (partitions: the Azure Storage provider's 1-16).</summary>
    private static readonly Dictionary<string, (int Min, int Max)> IntOptions = new()
    {
        ["--n"] = (1, int.MaxValue), ["--latency"] = (0, int.MaxValue), ["--cap"] = (1, int.MaxValue), ["--sample"] = (1, int.MaxValue),
        ["--partitions"] = (1, 16), ["--activities"] = (1, int.MaxValue), ["--orchestrations"] = (1, int.MaxValue),
        ["--status-polls"] = (0, int.MaxValue), ["--repeat"] = (1, int.MaxValue), ["--warmup"] = (0, int.MaxValue),
    };

    private static readonly string[] Switches = ["--direct", "--breakdown"];

    /// <summary>
    /// Reads the command line. Anything not exactly valid (an unknown option, a value missing or given twice, not a
    /// whole number in the option's range, <c>--only</c> other than bare or workflow) is refused with an
    /// <see cref="ArgumentException"/>, never replaced by a default.
    /// </summary>
    public static Settings Parse(string[] args)
    {
        Dictionary<string, string> values = [];
        HashSet<string> switches = [];
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (Switches.Contains(name))
            {
                switches.Add(name);
            }
            else if (IntOptions.ContainsKey(name) || name is "--only" or "--localhost")
            {
                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"{name} needs a value.");
                }

                if (!values.TryAdd(name, args[++i]))
                {
                    throw new ArgumentException($"{name} is given twice.");
                }
            }
            else
            {
                throw new ArgumentException($"Unknown argument '{name}'.");
            }
        }

        int Int(string name, int fallback)
        {
            if (!values.TryGetValue(name, out string? text))
            {
                return fallback;
            }

            (int min, int max) = IntOptions[name];
            return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
                ? value
                : throw new ArgumentException($"{name} must be a whole number from {min}{(max == int.MaxValue ? " up" : $" to {max}")}, not '{text}'.");
        }

        string? only = values.GetValueOrDefault("--only");
        if (only is not (null or "bare" or "workflow"))
        {
            throw new ArgumentException($"--only must be bare or workflow, not '{only}'.");
        }

        DirectoryInfo? root = new(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Functions.sln")))
        {
            root = root.Parent;
        }

        int activities = Int("--activities", 20);
        string? localHost = values.TryGetValue("--localhost", out string? path) ? Path.GetFullPath(path) : null;
        return new Settings(root?.FullName ?? throw new InvalidOperationException("Repository root not found."),
            Int("--n", 1000), Int("--latency", 100), Int("--cap", 20), Int("--sample", 50), Int("--partitions", 4), activities, Int("--orchestrations", activities), localHost, Int("--status-polls", 200),
            Direct: switches.Contains("--direct"),
            Only: only,
            Breakdown: switches.Contains("--breakdown"),
            Repeat: Int("--repeat", 1),
            Warmup: Int("--warmup", 200));
    }
}
