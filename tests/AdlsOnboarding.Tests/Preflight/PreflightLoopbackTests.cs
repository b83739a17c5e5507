using System.Text.Json;
using AdlsOnboarding.Simulator;
using AdlsOnboarding.Tests.Infrastructure;

namespace AdlsOnboarding.Tests.Preflight;

/// <summary>
/// No local run or test signs in at Entra ID or lists a real account: the local host's defaults, the suites' base
/// settings and the local samples all point the pre-flight at loopback, and the samples end as they say.
/// </summary>
public sealed class PreflightLoopbackTests
{
    private static readonly string Root = AdlsOnboarding.Tests.Api.LocalFiles.Root;

    [Fact]
    public void LocalHostDefaults_PreflightOnAndPointedAtLoopback()
    {
        using JsonDocument settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "src", "AdlsOnboarding.LocalHost", "appsettings.json")));
        JsonElement preflight = settings.RootElement.GetProperty("Preflight");

        Assert.Equal("On", settings.RootElement.GetProperty("Onboarding").GetProperty("Preflight").GetString());
        Assert.True(new Uri(preflight.GetProperty("AuthorityHost").GetString()!).IsLoopback);
        Assert.True(new Uri(preflight.GetProperty("BlobEndpointTemplate").GetString()!.Replace("{account}", "sample", StringComparison.Ordinal)).IsLoopback);
    }

    [Fact]
    public void SuiteBaseSettings_PreflightPointedAtLoopback()
    {
        Dictionary<string, string?> settings = WorkflowHarness.BaseSettings(new Uri("http://127.0.0.1:7081/"), new Uri("https://127.0.0.1:7082/"), "Accounts");

        Assert.True(new Uri(settings["Preflight:AuthorityHost"]!).IsLoopback);
        Assert.True(new Uri(settings["Preflight:BlobEndpointTemplate"]!.Replace("{account}", "sample", StringComparison.Ordinal)).IsLoopback);
    }

    [Fact]
    public void LocalSamples_TheStandInSetupMatchesWhatEachSampleExpects()
    {
        EntraBlobStandIn standIn = new();
        EntraBlobSetup.Read(Path.Combine(Root, "samples", "entra-blob-standin.json")).ApplyTo(standIn);
        using JsonDocument hostSettings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "src", "AdlsOnboarding.LocalHost", "appsettings.json")));
        string sampleKey = hostSettings.RootElement.GetProperty("Secrets").GetProperty("Local").GetProperty("sample-sp-key").GetString()!;
        using JsonDocument samples = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "samples", "onboardings.json")));

        Assert.Contains(samples.RootElement.EnumerateArray(), s => s.GetProperty("expect").GetProperty("status").GetString() == "Connected");
        Assert.Contains(samples.RootElement.EnumerateArray(), s => s.GetProperty("expect").TryGetProperty("errorCode", out JsonElement c) && c.GetString() == "PreflightRoleMissing");
        foreach (JsonElement sample in samples.RootElement.EnumerateArray())
        {
            JsonElement request = sample.GetProperty("request");
            string clientId = request.GetProperty("clientId").GetString()!;
            string account = new Uri(request.GetProperty("storageAccountUrl").GetString()!).Host.Split('.')[0];
            AdlsOnboarding.Simulator.Entra.StandInApp app = standIn.Entra.FindTenant(request.GetProperty("tenant").GetString()!)!.FindApp(clientId)!;
            Assert.NotNull(app.FindSecret(sampleKey));
            bool connects = sample.GetProperty("expect").GetProperty("status").GetString() == "Connected";
            Assert.Equal(connects, standIn.Blobs.FindAccount(account)!.CanRead(clientId));
        }
    }
}
