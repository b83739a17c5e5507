using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AdlsOnboarding.Tests.Infra;

/// <summary>
/// The Bicep in infra/: built and linted offline with the Bicep CLI from NuGet (zero warnings), and its compiled ARM
/// JSON checked for the security properties the deployment promises and for what makes `azd up` work the first time
/// and change nothing the second (issue 15, one test per item).
/// </summary>
public sealed class InfraTests
{
    private static readonly string Root = AdlsOnboarding.Tests.Api.LocalFiles.Root;
    private static readonly Lazy<JsonObject> Compiled = new(() => Build("main.bicep"));
    private static readonly Lazy<JsonObject> CompiledSample = new(() => Build(Path.Combine("app", "logic-app-sample.bicep")));

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
        Assert.Equal("[parameters('maximumInstanceCount')]", config["scaleAndConcurrency"]!["maximumInstanceCount"]!.GetValue<string>());
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
        Assert.Contains("Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]!.ToJsonString(), StringComparison.Ordinal);
        string all = settings.ToJsonString();
        Assert.DoesNotContain("AccountKey", all, StringComparison.Ordinal);
        Assert.DoesNotContain("SharedAccessSignature", all, StringComparison.Ordinal);
        Assert.DoesNotContain("listKeys", all, StringComparison.Ordinal);
        Assert.DoesNotContain("@Microsoft.KeyVault", all, StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettings_PublicBaseUrlIsTheAppsOwnHttpsHostName()
    {
        JsonObject settings = Single("Microsoft.Web/sites/config")["properties"]!.AsObject();

        Assert.Equal(
            "[format('https://{0}', reference(resourceId('Microsoft.Web/sites', parameters('functionAppName')), '2024-04-01').defaultHostName)]",
            settings["Api__PublicBaseUrl"]!.GetValue<string>());
    }

    // Issue 15 item 1: the app (and so its first read of storage and both vaults) comes after its role assignments,
    // and the Logic App sample, which needs the app's code, is no part of the first provision.
    [Fact]
    public void FunctionApp_DependsOnItsRoleAssignments_SampleLogicAppNotProvisionedWithIt()
    {
        Assert.Contains("roles", Module("functionApp")["dependsOn"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Contains("Microsoft.Authorization/roleAssignments", ModuleTemplate("roles").ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Resources(), r => Type(r) == "Microsoft.Logic/workflows");
        Assert.DoesNotContain("listKeys", Compiled.Value.ToJsonString(), StringComparison.Ordinal);
    }

    // Issue 15 item 2: a failed first provision must not make a second vault on retry.
    [Fact]
    public void VaultNames_DerivedFromASeedKeptInTheAzdEnvironment()
    {
        JsonObject seed = Compiled.Value["parameters"]!["keyVaultNameSeed"]!.AsObject();

        Assert.Null(seed["defaultValue"]);
        Assert.Equal(8, seed["minLength"]!.GetValue<int>());
        Assert.Equal("${AZURE_KEY_VAULT_NAME_SEED}", ParameterFileValue("keyVaultNameSeed"));
        Assert.Equal("${AZURE_KEY_VAULT_NAME}", ParameterFileValue("keyVaultName"));
        Assert.Equal("${AZURE_APP_KEY_VAULT_NAME}", ParameterFileValue("appKeyVaultName"));
        Assert.Equal(
            "[if(empty(parameters('keyVaultName')), format('kv-{0}', take(uniqueString(subscription().id, parameters('environmentName'), parameters('keyVaultNameSeed')), 13)), parameters('keyVaultName'))]",
            Variable("keysVaultName"));
        Assert.Equal(
            "[if(empty(parameters('appKeyVaultName')), format('kva-{0}', take(uniqueString(subscription().id, parameters('environmentName'), parameters('keyVaultNameSeed'), 'app'), 13)), parameters('appKeyVaultName'))]",
            Variable("appVaultName"));
    }

    // Issues 15 items 2 and 5: nothing random or secret is made by a template, so a second deployment changes nothing.
    [Fact]
    public void Templates_NoUtcNowOrNewGuidDefaultsAndNoSecretWritten()
    {
        foreach (JsonObject template in Templates().Append(CompiledSample.Value))
        {
            foreach ((string name, JsonNode? parameter) in template["parameters"]?.AsObject() ?? [])
            {
                string defaultValue = parameter!["defaultValue"]?.ToJsonString() ?? "";
                Assert.DoesNotContain("utcNow", defaultValue, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("newGuid", defaultValue, StringComparison.OrdinalIgnoreCase);
                Assert.False(parameter["type"]!.GetValue<string>() == "securestring", $"{name}: no secret enters a template.");
            }

            Assert.DoesNotContain(ResourcesOf(template), r => Type(r) == "Microsoft.KeyVault/vaults/secrets");
            Assert.DoesNotContain("utcNow(", template.ToJsonString(), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("newGuid(", template.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    // Issue 15 item 3.
    [Fact]
    public void MaximumInstanceCount_DefaultAcceptedInEveryRegion()
    {
        JsonObject maximum = Compiled.Value["parameters"]!["maximumInstanceCount"]!.AsObject();

        Assert.Equal(40, maximum["defaultValue"]!.GetValue<int>());
        Assert.Equal("[parameters('maximumInstanceCount')]", ModuleParameter(Module("functionApp"), "maximumInstanceCount"));
        // The app-wide bound docs/deploy.md states is built from these: the per-instance gate and the always-ready instance.
        Assert.Equal(8, Compiled.Value["parameters"]!["adobeMaxConcurrentCalls"]!["defaultValue"]!.GetValue<int>());
        Assert.Equal("[string(parameters('adobeMaxConcurrentCalls'))]", Single("Microsoft.Web/sites/config")["properties"]!["Adobe__MaxConcurrentCalls"]!.GetValue<string>());
        JsonObject durable = Assert.Single(Single("Microsoft.Web/sites")["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!["alwaysReady"]!.AsArray().OfType<JsonObject>());
        Assert.Equal(1, durable["instanceCount"]!.GetValue<int>());
        Assert.Contains("8 × (40 + 1) = 328", File.ReadAllText(Path.Combine(Root, "docs", "deploy.md")), StringComparison.Ordinal);
    }

    // Issue 15 item 4.
    [Fact]
    public void DeployerRoles_PrincipalTypeFromTheEnvironmentDefaultUser()
    {
        JsonObject type = Compiled.Value["parameters"]!["principalType"]!.AsObject();

        Assert.Equal("User", type["defaultValue"]!.GetValue<string>());
        Assert.Equal(["ServicePrincipal", "User"], type["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).Order());
        Assert.Equal("${AZURE_PRINCIPAL_TYPE=User}", ParameterFileValue("principalType"));
        Assert.Equal("[parameters('principalType')]", ModuleParameter(Module("roles"), "deployerPrincipalType"));
        List<JsonObject> deployer = [.. ResourcesOf(ModuleTemplate("roles")).Where(r => r["properties"]!["principalId"]!.GetValue<string>() == "[parameters('deployerPrincipalId')]")];
        Assert.Equal(2, deployer.Count);
        Assert.All(deployer, r => Assert.Equal("[parameters('deployerPrincipalType')]", r["properties"]!["principalType"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("appPrincipalId", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "Microsoft.Storage/storageAccounts', parameters('storageAccountName'))")]
    [InlineData("appPrincipalId", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", "Microsoft.Storage/storageAccounts', parameters('storageAccountName'))")]
    [InlineData("appPrincipalId", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "Microsoft.Storage/storageAccounts', parameters('storageAccountName'))")]
    [InlineData("appPrincipalId", "4633458b-17de-408a-b874-0445c86b69e6", "Microsoft.KeyVault/vaults', parameters('keysVaultName'))")]
    [InlineData("appPrincipalId", "4633458b-17de-408a-b874-0445c86b69e6", "Microsoft.KeyVault/vaults', parameters('appVaultName'))")]
    [InlineData("appPrincipalId", "3913510d-42f4-4e42-8a64-420c390055eb", "Microsoft.Insights/components', parameters('appInsightsName'))")]
    [InlineData("deployerPrincipalId", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Microsoft.KeyVault/vaults', parameters('keysVaultName'))")]
    [InlineData("deployerPrincipalId", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Microsoft.KeyVault/vaults', parameters('appVaultName'))")]
    [InlineData("systemTopics", "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", "Microsoft.Storage/storageAccounts/queueServices/queues', parameters('storageAccountName'), 'default', parameters('eventsQueueName'))")]
    [InlineData("systemTopics", "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Microsoft.Storage/storageAccounts/blobServices/containers', parameters('storageAccountName'), 'default', parameters('deadLetterContainerName'))")]
    public void RoleAssignments_ExactRolesOnTheirOwnResources(string principal, string roleId, string scope)
    {
        JsonObject assignment = Assert.Single(Resources(), r => Type(r) == "Microsoft.Authorization/roleAssignments"
            && r["properties"]!["roleDefinitionId"]!.ToJsonString().Contains(roleId, StringComparison.Ordinal)
            && r["properties"]!["principalId"]!.GetValue<string>().Contains(principal, StringComparison.Ordinal)
            && r["scope"]!.GetValue<string>() == $"[resourceId('{scope}]");

        Assert.StartsWith("[guid(", assignment["name"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void RoleAssignments_NoneBeyondTheTen()
    {
        Assert.Equal(10, Resources().Count(r => Type(r) == "Microsoft.Authorization/roleAssignments"));
    }

    // Issue 15 item 8, and the vault split of issue 14 item 1: events come from the keys vault only, and the topic's
    // identity may write to the events queue and the dead-letter container, nothing else of the storage account.
    [Fact]
    public void KeyVaultEvents_KeysVaultTopicOnGaApiDeliversThreeSecretEventsWithScopedRoles()
    {
        JsonObject topic = Single("Microsoft.EventGrid/systemTopics");
        JsonObject subscriptionResource = Single("Microsoft.EventGrid/systemTopics/eventSubscriptions");
        JsonObject subscription = subscriptionResource["properties"]!.AsObject();

        Assert.Equal("Microsoft.KeyVault.vaults", topic["properties"]!["topicType"]!.GetValue<string>());
        Assert.Equal("[reference('keysVault').outputs.name.value]", ModuleParameter(Module("keyVaultEvents"), "keyVaultName"));
        Assert.Equal("SystemAssigned", topic["identity"]!["type"]!.GetValue<string>());
        foreach (JsonObject resource in new[] { topic, subscriptionResource })
        {
            string version = resource["apiVersion"]!.GetValue<string>();
            Assert.DoesNotContain("preview", version, StringComparison.Ordinal);
            Assert.True(string.CompareOrdinal(version, "2022-06-15") >= 0, version);
        }

        Assert.Equal("StorageQueue", subscription["deliveryWithResourceIdentity"]!["destination"]!["endpointType"]!.GetValue<string>());
        Assert.Equal("StorageBlob", subscription["deadLetterWithResourceIdentity"]!["deadLetterDestination"]!["endpointType"]!.GetValue<string>());
        Assert.Null(subscription["destination"]);
        Assert.Equal(
            ["Microsoft.KeyVault.SecretExpired", "Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretNewVersionCreated"],
            subscription["filter"]!["includedEventTypes"]!.AsArray().Select(t => t!.GetValue<string>()).Order());
        Assert.All(
            ResourcesOf(ModuleTemplate("keyVaultEvents")).Where(r => Type(r) == "Microsoft.Authorization/roleAssignments"),
            r => Assert.DoesNotContain("resourceId('Microsoft.Storage/storageAccounts', ", r["scope"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Contains(Resources(), r => Type(r) == "Microsoft.Storage/storageAccounts/queueServices/queues");
        Assert.Contains("KeyVaultEventsQueue", Single("Microsoft.Web/sites/config")["properties"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Outputs_NoSecretsAndWhatTheHooksRead()
    {
        foreach (JsonObject template in Templates().Append(CompiledSample.Value))
        {
            foreach ((string name, JsonNode? output) in template["outputs"]?.AsObject() ?? [])
            {
                Assert.NotEqual("securestring", output!["type"]!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
                string value = output["value"]!.ToJsonString();
                Assert.DoesNotContain("listKeys", value, StringComparison.Ordinal);
                // The name of a secret may be an output (the hooks need it); nothing else about secrets.
                Assert.False(name.Contains("secret", StringComparison.OrdinalIgnoreCase) && !name.EndsWith("_NAME", StringComparison.Ordinal), name);
            }
        }

        // What the postprovision and postdeploy hooks read from the azd environment.
        string[] outputs = [.. Compiled.Value["outputs"]!.AsObject().Select(o => o.Key)];
        Assert.Contains("AZURE_APP_KEY_VAULT_NAME", outputs);
        Assert.Contains("STATUS_TOKEN_KEY_SECRET_NAME", outputs);
        Assert.Contains("ADOBE_CLIENT_SECRET_NAME", outputs);
        Assert.Contains("AZURE_RESOURCE_GROUP", outputs);
        Assert.Contains("AZURE_FUNCTION_APP_NAME", outputs);
    }

    // Issue 15 items 6 and 10: the sample answers its caller at once (202 + Location) and holds a key for one route.
    [Fact]
    public void LogicAppSample_AsynchronousResponsesFunctionScopedKeyAndBothBranches()
    {
        JsonObject workflow = Assert.Single(ResourcesOf(CompiledSample.Value), r => Type(r) == "Microsoft.Logic/workflows");
        JsonObject definition = workflow["properties"]!["definition"]!.AsObject();
        JsonObject actions = definition["actions"]!.AsObject();
        JsonObject onboard = actions["Onboard_account"]!.AsObject();

        Assert.Equal("Request", definition["triggers"]!["manual"]!["type"]!.GetValue<string>());
        Assert.Equal("Http", onboard["type"]!.GetValue<string>());
        Assert.Equal("POST", onboard["inputs"]!["method"]!.GetValue<string>());
        Assert.EndsWith("/api/onboardings", onboard["inputs"]!["uri"]!.GetValue<string>(), StringComparison.Ordinal);
        // The asynchronous request-reply pattern stays on (it is the default unless disabled).
        Assert.DoesNotContain("DisableAsyncPattern", onboard.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("SecureString", definition["parameters"]!["onboardingKey"]!["type"]!.GetValue<string>());
        Assert.Contains("inputs", onboard["runtimeConfiguration"]!["secureData"]!["properties"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal("Succeeded", actions["Connected"]!["runAfter"]!["Onboard_account"]![0]!.GetValue<string>());
        Assert.Contains("Failed", actions["Onboarding_failed"]!["runAfter"]!["Onboard_account"]!.AsArray().Select(p => p!.GetValue<string>()));
        List<JsonObject> responses = [.. actions.Select(a => a.Value!.AsObject()).Where(a => a["type"]!.GetValue<string>() == "Response")];
        Assert.Equal(2, responses.Count);
        Assert.All(responses, r => Assert.Equal("Asynchronous", r["operationOptions"]!.GetValue<string>()));
        Assert.Equal(
            "[listKeys(resourceId('Microsoft.Web/sites/functions', parameters('functionAppName'), 'StartOnboarding'), '2024-04-01').default]",
            workflow["properties"]!["parameters"]!["onboardingKey"]!["value"]!.GetValue<string>());
        Assert.DoesNotContain("host/default", CompiledSample.Value.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AzureYaml_DeploysTheFunctionsProjectWithBicepInfra()
    {
        string yaml = File.ReadAllText(Path.Combine(Root, "azure.yaml"));

        Assert.Contains("project: ./src/AdlsOnboarding.Functions", yaml, StringComparison.Ordinal);
        Assert.Contains("host: function", yaml, StringComparison.Ordinal);
        Assert.Contains("provider: bicep", yaml, StringComparison.Ordinal);
        using JsonDocument parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "infra", "main.parameters.json")));
        foreach (JsonProperty parameter in parameters.RootElement.GetProperty("parameters").EnumerateObject())
        {
            Assert.True(Compiled.Value["parameters"]![parameter.Name] is not null, $"main.parameters.json sets {parameter.Name}, which main.bicep does not have.");
        }
    }

    private static JsonObject Build(string file) => JsonNode.Parse(Bicep("build", Path.Combine(Root, "infra", file), "--stdout").Output)!.AsObject();

    /// <summary>A module of main.bicep by its symbolic name (the deployment resource).</summary>
    private static JsonObject Module(string name) => Compiled.Value["resources"]![name]!.AsObject();

    private static JsonObject ModuleTemplate(string name) => Module(name)["properties"]!["template"]!.AsObject();

    private static string ModuleParameter(JsonObject module, string name) => module["properties"]!["parameters"]![name]!["value"]!.GetValue<string>();

    private static string Variable(string name) => Compiled.Value["variables"]![name]!.GetValue<string>();

    private static string ParameterFileValue(string name)
    {
        using JsonDocument parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "infra", "main.parameters.json")));
        return parameters.RootElement.GetProperty("parameters").GetProperty(name).GetProperty("value").GetString()!;
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
