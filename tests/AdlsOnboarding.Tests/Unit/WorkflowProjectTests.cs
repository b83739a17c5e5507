using System.Text.Json;
using AdlsOnboarding.Tests.Api;
using AdlsOnboarding.Workflow.Onboarding;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// The workflow library knows nothing of HTTP request types or of the host that runs it: ASP.NET Core belongs to
/// AdlsOnboarding.Api and the two hosts.
/// </summary>
public sealed class WorkflowProjectTests
{
    private static bool IsAspNetCore(string name) =>
        name.StartsWith("Microsoft.AspNetCore", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Microsoft.Net.Http.Headers", StringComparison.OrdinalIgnoreCase);

    [Fact]
    public void WorkflowAssembly_UsesNoAspNetCoreType()
    {
        string[] references = [.. typeof(OnboardingStarter).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "")];

        Assert.Contains("Microsoft.DurableTask.Client", references);
        Assert.DoesNotContain(references, IsAspNetCore);
    }

    [Fact]
    public void WorkflowProject_RestoresNoAspNetCoreFrameworkOrPackage()
    {
        // What restore resolved for the project: its own framework references and those its packages bring along.
        string assetsPath = Path.Combine(LocalFiles.Root, "src", "AdlsOnboarding.Workflow", "obj", "project.assets.json");
        using JsonDocument assets = JsonDocument.Parse(File.ReadAllText(assetsPath));
        List<string> frameworks = [.. assets.RootElement.GetProperty("project").GetProperty("frameworks").EnumerateObject()
            .Where(f => f.Value.TryGetProperty("frameworkReferences", out _))
            .SelectMany(f => f.Value.GetProperty("frameworkReferences").EnumerateObject().Select(r => r.Name))];
        foreach (JsonProperty target in assets.RootElement.GetProperty("targets").EnumerateObject())
        {
            foreach (JsonProperty library in target.Value.EnumerateObject())
            {
                if (library.Value.TryGetProperty("frameworkReferences", out JsonElement references))
                {
                    frameworks.AddRange(references.EnumerateArray().Select(r => r.GetString() ?? ""));
                }
            }
        }

        string[] packages = [.. assets.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0])];

        Assert.Contains("Microsoft.NETCore.App", frameworks);
        Assert.DoesNotContain(frameworks, IsAspNetCore);
        Assert.Contains("Microsoft.DurableTask.Worker", packages);
        Assert.DoesNotContain(packages, IsAspNetCore);
    }
}
