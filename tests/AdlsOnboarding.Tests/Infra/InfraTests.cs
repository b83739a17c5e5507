using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AdlsOnboarding.Tests.Infra;

/// <summary>
/// The Bicep in infra/: built and linted offline with the Bicep CLI from NuGet (zero warnings), and its compiled ARM
/// JSON checked for the security properties the deployment promises.
/// </summary>
public sealed class InfraTests
{
    private static readonly string Root = AdlsOnboarding.Tests.Api.LocalFiles.Root;
    private static readonly Lazy<JsonObject> Compiled = new(() => JsonNode.Parse(Bicep("build", Path.Combine(Root, "infra", "main.bicep"), "--stdout").Output)!.AsObject());

    public static TheoryData<string> BicepFiles() => [.. Directory.GetFiles(Path.Combine(Root, "infra"), "*.bicep", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Root, f))];

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Bicep_BuildAndLint_NoWarningsNoErrors(string file)
    {
        (int buildExit, string _, string buildErrors) = Bicep("build", Path.Combine(Root, file), "--stdout");
        (int lintExit, string lintOutput, string lintErrors) = Bicep("lint", Path.Combine(Root, file));

        Assert.Equal(0, buildExit);
        Assert.Equal("", buildErrors.Trim());
        Assert.Equal(0, lintExit);
        Assert.Equal("", (lintOutput + lintErrors).Trim());
        Assert.DoesNotContain("br/public", File.ReadAllText(Path.Combine(Root, file)), StringComparison.Ordinal);
        Assert.DoesNotContain("br:", File.ReadAllText(Path.Combine(Root, file)), StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_SharedKeysOffTls12NoPublicBlobs()
    {
        JsonObject storage = Single("Microsoft.Storage/storageAccounts")["properties"]!.AsObject();

        Assert.False(storage["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.False(storage["allowBlobPublicAccess"]!.GetValue<bool>());
        Assert.True(storage["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", storage["minimumTlsVersion"]!.GetValue<string>());
        Assert.Contains(Resources(), r => Type(r) == "Microsoft.Storage/storageAccounts/tableServices/tables");
        Assert.Contains(Resources(), r => Type(r) == "Microsoft.Storage/storageAccounts/queueServices");
    }

    [Fact]
    public void FunctionApp_FlexConsumptionDotnet10HttpsOnlyNoFtpAndIdentityOnly()
    {
        JsonObject plan = Single("Microsoft.Web/serverfarms");
        JsonObject site = Single("Microsoft.Web/sites");
        JsonObject properties = site["properties"]!.AsObject();
        JsonObject config = properties["functionAppConfig"]!.AsObject();

        Assert.Equal("FC1", plan["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("functionapp,linux", site["kind"]!.GetValue<string>());
        Assert.Equal("UserAssigned", site["identity"]!["type"]!.GetValue<string>());
        Assert.True(properties["httpsOnly"]!.GetValue<bool>());
        Assert.Equal("Disabled", properties["siteConfig"]!["ftpsState"]!.GetValue<string>());
        Assert.Equal("1.2", properties["siteConfig"]!["minTlsVersion"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", config["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("10.0", config["runtime"]!["version"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", config["deployment"]!["storage"]!["authentication"]!["type"]!.GetValue<string>());
        Assert.Contains(config["scaleAndConcurrency"]!["alwaysReady"]!.AsArray(), g => g!["name"]!.GetValue<string>() == "durable");
        Assert.Contains("maximumInstanceCount", config["scaleAndConcurrency"]!["maximumInstanceCount"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.All(Resources().Where(r => Type(r) == "Microsoft.Web/sites/basicPublishingCredentialsPolicies"), r => Assert.False(r["properties"]!["allow"]!.GetValue<bool>()));
        Assert.Equal(2, Resources().Count(r => Type(r) == "Microsoft.Web/sites/basicPublishingCredentialsPolicies"));
    }

    [Fact]
    public void AppSettings_IdentityBasedNoSecrets()
    {
        JsonObject settings = Single("Microsoft.Web/sites/config")["properties"]!.AsObject();
        string[] names = [.. settings.Select(s => s.Key)];

        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]!.GetValue<string>());
        Assert.Contains("AzureWebJobsStorage__clientId", names);
        Assert.Contains("AZURE_CLIENT_ID", names);
        Assert.DoesNotContain("AzureWebJobsStorage", names);
        Assert.Equal("ManagedIdentity", settings["Azure__Credential"]!.GetValue<string>());
        Assert.StartsWith("[format('@Microsoft.KeyVault(VaultName=", settings["Api__StatusTokenKey"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]!.ToJsonString(), StringComparison.Ordinal);
        string all = settings.ToJsonString();
        Assert.DoesNotContain("AccountKey", all, StringComparison.Ordinal);
        Assert.DoesNotContain("SharedAccessSignature", all, StringComparison.Ordinal);
        Assert.DoesNotContain("listKeys", all, StringComparison.Ordinal);
        Assert.DoesNotContain("parameters('adobeClientSecret')", all, StringComparison.Ordinal);
        Assert.DoesNotContain("parameters('statusTokenKey')", all, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyVault_RbacSoftDeletePurgeProtectionAndAuditLogs()
    {
        JsonObject vault = Single("Microsoft.KeyVault/vaults")["properties"]!.AsObject();

        Assert.True(vault["enableRbacAuthorization"]!.GetValue<bool>());
        Assert.True(vault["enableSoftDelete"]!.GetValue<bool>());
        Assert.True(vault["enablePurgeProtection"]!.GetValue<bool>());
        JsonObject diagnostics = Single("Microsoft.Insights/diagnosticSettings");
        Assert.Contains(diagnostics["properties"]!["logs"]!.AsArray(), l => l!["categoryGroup"]?.GetValue<string>() == "audit");
        Assert.True(Single("Microsoft.Insights/components")["properties"]!["DisableLocalAuth"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "Microsoft.Storage/storageAccounts")]
    [InlineData("974c5e8b-45b9-4653-ba55-5f855dd0fb88", "Microsoft.Storage/storageAccounts")]
    [InlineData("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "Microsoft.Storage/storageAccounts")]
    [InlineData("4633458b-17de-408a-b874-0445c86b69e6", "Microsoft.KeyVault/vaults")]
    [InlineData("3913510d-42f4-4e42-8a64-420c390055eb", "Microsoft.Insights/components")]
    [InlineData("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Microsoft.KeyVault/vaults")]
    [InlineData("c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", "Microsoft.Storage/storageAccounts")]
    [InlineData("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Microsoft.Storage/storageAccounts")]
    public void RoleAssignments_ExactRolesOnTheirOwnResources(string roleId, string scopeType)
    {
        JsonObject assignment = Assert.Single(Resources(), r => Type(r) == "Microsoft.Authorization/roleAssignments" && r["properties"]!["roleDefinitionId"]!.ToJsonString().Contains(roleId, StringComparison.Ordinal));

        Assert.Contains(scopeType, assignment["scope"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("[guid(", assignment["name"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void RoleAssignments_NoneBeyondTheEight()
    {
        Assert.Equal(8, Resources().Count(r => Type(r) == "Microsoft.Authorization/roleAssignments"));
    }

    [Fact]
    public void KeyVaultEvents_SystemTopicDeliversToTheQueueWithItsIdentityAndDeadLetters()
    {
        JsonObject topic = Single("Microsoft.EventGrid/systemTopics");
        JsonObject subscription = Single("Microsoft.EventGrid/systemTopics/eventSubscriptions")["properties"]!.AsObject();

        Assert.Equal("Microsoft.KeyVault.vaults", topic["properties"]!["topicType"]!.GetValue<string>());
        Assert.Equal("SystemAssigned", topic["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("StorageQueue", subscription["deliveryWithResourceIdentity"]!["destination"]!["endpointType"]!.GetValue<string>());
        Assert.Equal("StorageBlob", subscription["deadLetterWithResourceIdentity"]!["deadLetterDestination"]!["endpointType"]!.GetValue<string>());
        Assert.Null(subscription["destination"]);
        Assert.Equal(
            ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretNewVersionCreated"],
            subscription["filter"]!["includedEventTypes"]!.AsArray().Select(t => t!.GetValue<string>()).Order());
        Assert.Contains(Resources(), r => Type(r) == "Microsoft.Storage/storageAccounts/queueServices/queues");
        Assert.Contains("KeyVaultEventsQueue", Single("Microsoft.Web/sites/config")["properties"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Outputs_NoSecrets()
    {
        foreach (JsonObject template in Templates())
        {
            foreach ((string name, JsonNode? output) in template["outputs"]?.AsObject() ?? [])
            {
                Assert.NotEqual("securestring", output!["type"]!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
                string value = output["value"]!.ToJsonString();
                Assert.DoesNotContain("parameters('statusTokenKey", value, StringComparison.Ordinal);
                Assert.DoesNotContain("parameters('adobeClientSecret')", value, StringComparison.Ordinal);
                Assert.DoesNotContain("listKeys", value, StringComparison.Ordinal);
                Assert.DoesNotContain("secret", name, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public void LogicAppSample_StatefulConsumptionWithAsyncHttpActionAndBothBranches()
    {
        JsonObject workflow = Single("Microsoft.Logic/workflows");
        JsonObject definition = workflow["properties"]!["definition"]!.AsObject();
        JsonObject onboard = definition["actions"]!["Onboard_account"]!.AsObject();

        Assert.Equal("Request", definition["triggers"]!["manual"]!["type"]!.GetValue<string>());
        Assert.Equal("Http", onboard["type"]!.GetValue<string>());
        Assert.Equal("POST", onboard["inputs"]!["method"]!.GetValue<string>());
        Assert.EndsWith("/api/onboardings", onboard["inputs"]!["uri"]!.GetValue<string>(), StringComparison.Ordinal);
        // The asynchronous request-reply pattern stays on (it is the default unless disabled).
        Assert.DoesNotContain("DisableAsyncPattern", onboard.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("SecureString", definition["parameters"]!["onboardingKey"]!["type"]!.GetValue<string>());
        Assert.Contains("inputs", onboard["runtimeConfiguration"]!["secureData"]!["properties"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal("Succeeded", definition["actions"]!["Connected"]!["runAfter"]!["Onboard_account"]![0]!.GetValue<string>());
        Assert.Contains("Failed", definition["actions"]!["Onboarding_failed"]!["runAfter"]!["Onboard_account"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public void AzureYaml_DeploysTheFunctionsProjectWithBicepInfra()
    {
        string yaml = File.ReadAllText(Path.Combine(Root, "azure.yaml"));

        Assert.Contains("project: ./src/AdlsOnboarding.Functions", yaml, StringComparison.Ordinal);
        Assert.Contains("host: function", yaml, StringComparison.Ordinal);
        Assert.Contains("provider: bicep", yaml, StringComparison.Ordinal);
        using JsonDocument parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "infra", "main.parameters.json")));
        Assert.True(parameters.RootElement.GetProperty("parameters").TryGetProperty("keyVaultName", out _));
    }

    private static string Type(JsonObject resource) => resource["type"]!.GetValue<string>();

    private static JsonObject Single(string type) => Assert.Single(Resources(), r => Type(r) == type);

    /// <summary>Every template: main and the nested ones the modules compile to.</summary>
    private static IEnumerable<JsonObject> Templates()
    {
        Stack<JsonObject> pending = new([Compiled.Value]);
        while (pending.TryPop(out JsonObject? template))
        {
            yield return template;
            foreach (JsonObject resource in ResourcesOf(template))
            {
                if (Type(resource) == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is JsonObject nested)
                {
                    pending.Push(nested);
                }
            }
        }
    }

    private static IEnumerable<JsonObject> ResourcesOf(JsonObject template) => template["resources"] switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        JsonObject symbolic => symbolic.Select(p => p.Value).OfType<JsonObject>(),
        _ => [],
    };

    private static List<JsonObject> Resources() => [.. Templates().SelectMany(ResourcesOf).Where(r => Type(r) != "Microsoft.Resources/deployments" && r["existing"]?.GetValue<bool>() != true)];

    private static (int Exit, string Output, string Errors) Bicep(params string[] args)
    {
        ProcessStartInfo start = new(BicepPath(), args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["BICEP_TRACING_ENABLED"] = "false";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, errors.Result);
    }

    private static string BicepPath()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "azure.bicep.commandline.linux-x64", "0.49.2", "tools", "bicep");
        Assert.True(File.Exists(path), $"The Bicep CLI is restored with the test project (PackageDownload); not found at {path}.");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        }

        return path;
    }
}
