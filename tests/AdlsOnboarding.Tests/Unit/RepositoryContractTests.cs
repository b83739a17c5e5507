using System.Reflection;
using System.Text.Json;
using AdlsOnboarding.Api;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Hosting;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>Files a user relies on that must not drift from the code: the settings sample, the settings page (docs/settings.md), the metadata.</summary>
public sealed class RepositoryContractTests
{
    private static readonly string Root = AdlsOnboarding.Tests.Api.LocalFiles.Root;

    /// <summary>Every setting in force; a removed one (marked obsolete, refused or ignored at start-up) is not offered.</summary>
    public static TheoryData<string> Settings()
    {
        TheoryData<string> data = [];
        (Type Type, string Section)[] sections =
        [
            (typeof(AdobeOptions), AdobeOptions.Section), (typeof(SecretStoreOptions), SecretStoreOptions.Section),
            (typeof(AccountStoreOptions), AccountStoreOptions.Section), (typeof(OnboardingOptions), OnboardingOptions.Section),
            (typeof(ApiOptions), ApiOptions.Section), (typeof(AzureCredentialOptions), AzureCredentialOptions.Section),
            (typeof(AdlsOnboarding.Workflow.Registry.SweepOptions), AdlsOnboarding.Workflow.Registry.SweepOptions.Section),
            (typeof(AdlsOnboarding.Workflow.Retention.RetentionOptions), AdlsOnboarding.Workflow.Retention.RetentionOptions.Section),
            (typeof(AdlsOnboarding.Workflow.Preflight.PreflightOptions), AdlsOnboarding.Workflow.Preflight.PreflightOptions.Section),
        ];
        data.Add(AdlsOnboarding.Workflow.Preflight.PreflightOptions.SwitchKey.Replace(":", "__", StringComparison.Ordinal));
        foreach ((Type type, string section) in sections)
        {
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true && p.GetCustomAttribute<ObsoleteAttribute>() is null))
            {
                data.Add($"{section}__{property.Name}");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void LocalSettingsSample_ListsEverySetting(string setting)
    {
        using JsonDocument sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "local.settings.sample.json")), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        IEnumerable<string> keys = sample.RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name);

        Assert.Contains(keys, key => key == setting || key.StartsWith(setting + "__", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void SettingsDoc_DocumentsEverySetting(string setting)
    {
        string settings = File.ReadAllText(Path.Combine(Root, "docs", "settings.md"));

        Assert.Contains($"`{setting.Replace("__", ":", StringComparison.Ordinal)}`", settings, StringComparison.Ordinal);
    }

    [Fact]
    public void FunctionsBuild_MetadataListsEveryTriggerOrchestratorAndActivity()
    {
        string metadata = AdlsOnboarding.Tests.Api.LocalFiles.FunctionsMetadata;
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(metadata));
        Dictionary<string, string> triggers = document.RootElement.EnumerateArray().ToDictionary(
            f => f.GetProperty("name").GetString()!,
            f => f.GetProperty("bindings").EnumerateArray().First(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal)).GetProperty("type").GetString()!);

        Assert.Equal("orchestrationTrigger", triggers[nameof(OnboardingOrchestrationV2)]);
        Assert.Equal("activityTrigger", triggers[nameof(OnboardAccountActivity)]);
        Assert.Equal("orchestrationTrigger", triggers[nameof(OnboardingOrchestration)]);
        Assert.Equal("activityTrigger", triggers[nameof(ResolveSecretVersionActivity)]);
        Assert.Equal("activityTrigger", triggers[nameof(CreateConnectionActivity)]);
        Assert.Equal("activityTrigger", triggers[nameof(SaveAccountRecordActivity)]);
        Assert.Equal("httpTrigger", triggers["StartOnboarding"]);
        Assert.Equal("httpTrigger", triggers["GetOnboardingStatus"]);
        Assert.Equal("httpTrigger", triggers["RegisterAccount"]);
        Assert.Equal("timerTrigger", triggers["SweepRegistry"]);
        Assert.Equal("httpTrigger", triggers["OffboardAccount"]);
        Assert.Equal("orchestrationTrigger", triggers["OffboardingOrchestration"]);
        Assert.Equal("activityTrigger", triggers["DeleteConnectionActivity"]);
        Assert.Equal("queueTrigger", triggers["HandleKeyVaultEvent"]);
        Assert.Equal("timerTrigger", triggers["PurgeHistory"]);
    }
}
