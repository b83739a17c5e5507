using System.Text.Json;

namespace AdlsOnboarding.Tests.Infra;

/// <summary>What the deployed Functions app actually loads, read from its built deps.json.</summary>
public sealed class FunctionsPackageTests
{
    [Fact]
    public void FunctionsBuild_EveryDurableTaskSdkPackage_SameVersion()
    {
        string deps = Path.Combine(Path.GetDirectoryName(AdlsOnboarding.Tests.Api.LocalFiles.FunctionsMetadata)!, "AdlsOnboarding.Functions.deps.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(deps));

        // Libraries are listed as "name/version"; the SDK's packages must not mix releases (1.27 gRPC beside 1.28 worker).
        string[] durableTask = [.. document.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(library => library.Name)
            .Where(name => name.StartsWith("Microsoft.DurableTask.", StringComparison.Ordinal))];
        Dictionary<string, string[]> byVersion = durableTask
            .GroupBy(name => name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..])
            .ToDictionary(g => g.Key, g => g.ToArray());

        Assert.Contains(durableTask, name => name.StartsWith("Microsoft.DurableTask.Worker.Grpc/", StringComparison.Ordinal));
        Assert.True(byVersion.Count == 1, "Durable Task SDK packages at several versions: " + string.Join("; ", byVersion.Select(v => $"{v.Key}: {string.Join(", ", v.Value)}")));
    }
}
