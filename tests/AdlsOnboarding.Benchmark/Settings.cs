namespace AdlsOnboarding.Benchmark;

/// <summary>The benchmark's parameters (command line) and where the built programs are.</summary>
internal sealed record Settings(string Root, int N, int LatencyMs, int Cap, int SequentialSample, int Partitions, int Activities, int Orchestrations)
{
    public const string Azurite =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    public string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    public string LocalHostDll => Path.Combine(Root, "src", "AdlsOnboarding.LocalHost", "bin", Configuration, "net10.0", "AdlsOnboarding.LocalHost.dll");

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
        return new Settings(root?.FullName ?? throw new InvalidOperationException("Repository root not found."),
            Int("--n", 1000), Int("--latency", 100), Int("--cap", 20), Int("--sample", 50), Int("--partitions", 4), activities, Int("--orchestrations", activities));
    }
}
