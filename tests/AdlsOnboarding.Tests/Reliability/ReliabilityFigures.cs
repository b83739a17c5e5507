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

    /// <summary>
    /// Settings both suites share: a generous retry budget, and transient failures that outlive it left to a fast
    /// registry sweep, as the product leaves them in production.
    /// </summary>
    public static void LongRunning(Dictionary<string, string?> settings)
    {
        settings["Onboarding:MaxAttempts"] = "20";
        settings["Onboarding:MaxTotalRetryTime"] = "00:10:00";
        settings["OnboardingSweepSchedule"] = "*/5 * * * * *";
        settings["Sweep:RetryBackoff"] = "00:00:05";
    }

    public static int Size(int defaultSize) =>
        int.TryParse(Environment.GetEnvironmentVariable("ADLS_RELIABILITY_N"), out int n) && n > 0 ? n : defaultSize;
}
