using System.Text.Json;
using AdlsOnboarding.Tests.Api;

namespace AdlsOnboarding.Tests.Reliability;

/// <summary>Writes a suite's figures to .run/reliability/&lt;suite&gt;.json, for docs/reliability.md.</summary>
public static class ReliabilityFigures
{
    public static void Write(string suite, object figures)
    {
        string directory = Path.Combine(LocalFiles.Root, ".run", "reliability");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, suite + ".json"), JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
    }

    public static int Size(int defaultSize) =>
        int.TryParse(Environment.GetEnvironmentVariable("ADLS_RELIABILITY_N"), out int n) && n > 0 ? n : defaultSize;
}
