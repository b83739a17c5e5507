using AdlsOnboarding.Tests.Api;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// Azurite 3.33 and later report every request to Application Insights (an internet address) unless started with
/// <c>--disableTelemetry</c>: no local run, test or benchmark may send traffic off the machine.
/// </summary>
public sealed class AzuriteLaunchTests
{
    [Fact]
    public void EveryAzuriteLaunch_DisablesTelemetry()
    {
        string[] roots = [Path.Combine(LocalFiles.Root, "scripts"), Path.Combine(LocalFiles.Root, ".ci"), Path.Combine(LocalFiles.Root, "tests", "AdlsOnboarding.Benchmark")];
        List<string> launches = [.. roots.Where(Directory.Exists)
            .SelectMany(root => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && File.ReadAllText(file).Contains("--inMemoryPersistence", StringComparison.Ordinal))];

        Assert.Contains(launches, file => file.EndsWith("azurite.sh", StringComparison.Ordinal));
        Assert.Contains(launches, file => file.EndsWith("Processes.cs", StringComparison.Ordinal));
        // The flag on the launch's own line: a comment that names it does not count.
        Assert.All(
            launches.SelectMany(file => File.ReadLines(file).Where(line => line.Contains("--inMemoryPersistence", StringComparison.Ordinal)).Select(line => (file, line))),
            launch => Assert.True(launch.line.Contains("--disableTelemetry", StringComparison.Ordinal), $"{launch.file}: {launch.line.Trim()}"));
    }
}
