using System.Diagnostics;

namespace AdlsOnboarding.Tests.Infra;

/// <summary>
/// The azd hooks in infra/hooks/, run with <c>sh</c> as azd runs them, against stub <c>az</c> and <c>azd</c> commands on
/// PATH that record every call and keep a pretend vault on disk. azd hands a hook its environment's values as
/// variables: the tests do the same with what the stub <c>azd env set</c> saved. Each hook's second run over an
/// unchanged environment must change nothing.
/// </summary>
public sealed class AzdHookTests : IDisposable
{
    private const string AppVault = "kva-test0123456789";
    private readonly string _state = Directory.CreateTempSubdirectory("azd-hooks-").FullName;

    public AzdHookTests()
    {
        string bin = Directory.CreateDirectory(Path.Combine(_state, "bin")).FullName;
        Write(Path.Combine(bin, "az"), StubAz);
        Write(Path.Combine(bin, "azd"), StubAzd);
        Directory.CreateDirectory(Path.Combine(_state, "vaults", AppVault));
        Directory.CreateDirectory(Path.Combine(_state, "deleted", AppVault));
    }

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public void Preprovision_FirstRunSetsARandomSeedOnce_SecondRunChangesNothing()
    {
        (int firstExit, string firstOutput) = Run("preprovision.sh");

        Assert.True(firstExit == 0, firstOutput);
        string set = Assert.Single(Calls());
        Assert.Matches("^azd env set AZURE_KEY_VAULT_NAME_SEED [0-9a-f]{16}$", set);
        string seed = AzdEnvironment()["AZURE_KEY_VAULT_NAME_SEED"];

        (int secondExit, string secondOutput) = Run("preprovision.sh");

        Assert.True(secondExit == 0, secondOutput);
        Assert.Single(Calls());
        Assert.Equal(seed, AzdEnvironment()["AZURE_KEY_VAULT_NAME_SEED"]);

        // Another environment gets another seed (so other vault names).
        File.Delete(Path.Combine(_state, "azd.env"));
        Run("preprovision.sh");
        Assert.NotEqual(seed, AzdEnvironment()["AZURE_KEY_VAULT_NAME_SEED"]);
    }

    [Fact]
    public void Postprovision_FirstRunCreatesTheStatusKeyOnce_SecondRunChangesNothing()
    {
        (int firstExit, string firstOutput) = Run("postprovision.sh", ProvisionOutputs());

        Assert.True(firstExit == 0, firstOutput);
        string key = File.ReadAllText(VaultSecret("status-token-key"));
        Assert.Equal(32, Convert.FromBase64String(key).Length);
        string set = Assert.Single(Calls(), c => c.StartsWith("az keyvault secret set", StringComparison.Ordinal));
        Assert.Contains("--file ", set, StringComparison.Ordinal);
        Assert.DoesNotContain("--value", set, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls(), c => c.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(key, firstOutput, StringComparison.Ordinal);
        // The IMS client secret is not loaded yet: the hook says how, without failing.
        Assert.Contains($"az keyvault secret set --vault-name {AppVault} --name adobe-ims-client-secret", firstOutput, StringComparison.Ordinal);
        int callsAfterFirstRun = Calls().Count;

        (int secondExit, string secondOutput) = Run("postprovision.sh", ProvisionOutputs());

        Assert.True(secondExit == 0, secondOutput);
        Assert.Equal(key, File.ReadAllText(VaultSecret("status-token-key")));
        Assert.Equal(1, Calls().Count(c => c.StartsWith("az keyvault secret set", StringComparison.Ordinal)));
        Assert.All(Calls().Skip(callsAfterFirstRun), c => Assert.StartsWith("az keyvault secret list", c, StringComparison.Ordinal));
    }

    [Fact]
    public void Postprovision_RoleNotEffectiveYet_RetriesThenCreates()
    {
        File.WriteAllText(Path.Combine(_state, "list-failures"), "2");

        (int exit, string output) = Run("postprovision.sh", ProvisionOutputs());

        Assert.True(exit == 0, output);
        Assert.Equal(3, Calls().TakeWhile(c => !c.StartsWith("az keyvault secret set", StringComparison.Ordinal)).Count());
        Assert.True(File.Exists(VaultSecret("status-token-key")));
    }

    [Fact]
    public void Postprovision_VaultNeverReadable_FailsWithoutWriting()
    {
        File.WriteAllText(Path.Combine(_state, "list-failures"), "99");

        (int exit, string output) = Run("postprovision.sh", ProvisionOutputs());

        Assert.NotEqual(0, exit);
        Assert.Contains("ForbiddenByRbac", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls(), c => c.StartsWith("az keyvault secret set", StringComparison.Ordinal));
    }

    [Fact]
    public void Postprovision_KeySoftDeleted_RecoveredNotReplaced()
    {
        File.WriteAllText(Path.Combine(_state, "deleted", AppVault, "status-token-key"), "the-old-key");

        (int exit, string output) = Run("postprovision.sh", ProvisionOutputs());

        Assert.True(exit == 0, output);
        Assert.Contains(Calls(), c => c.StartsWith($"az keyvault secret recover --vault-name {AppVault} --name status-token-key", StringComparison.Ordinal));
        Assert.Equal("the-old-key", File.ReadAllText(VaultSecret("status-token-key")));
    }

    [Fact]
    public void Postdeploy_DeploysTheSampleWithTheSameDeploymentEachRun_OrNotAtAll()
    {
        Dictionary<string, string> outputs = new() { ["AZURE_RESOURCE_GROUP"] = "rg-test", ["AZURE_ENV_NAME"] = "test", ["AZURE_FUNCTION_APP_NAME"] = "func-abc" };

        Assert.Equal(0, Run("postdeploy.sh", outputs).Exit);
        Assert.Equal(0, Run("postdeploy.sh", outputs).Exit);

        Assert.Equal(2, Calls().Count);
        Assert.Equal(Calls()[0], Calls()[1]);
        Assert.StartsWith("az deployment group create --resource-group rg-test --name logic-app-sample --template-file ", Calls()[0], StringComparison.Ordinal);
        Assert.EndsWith("infra/app/logic-app-sample.bicep --parameters environmentName=test functionAppName=func-abc --output none", Calls()[0], StringComparison.Ordinal);

        outputs["DEPLOY_LOGIC_APP_SAMPLE"] = "false";
        Assert.Equal(0, Run("postdeploy.sh", outputs).Exit);
        Assert.Equal(2, Calls().Count);
    }

    [Fact]
    public void AzureYaml_RunsEachHookAtItsStage()
    {
        string yaml = File.ReadAllText(Path.Combine(AdlsOnboarding.Tests.Api.LocalFiles.Root, "azure.yaml"));

        foreach (string hook in new[] { "preprovision", "postprovision", "postdeploy" })
        {
            Assert.Matches($@"\n  {hook}:\n    shell: sh\n    run: infra/hooks/{hook}\.sh\n    continueOnError: false\n", yaml);
        }
    }

    private static Dictionary<string, string> ProvisionOutputs() => new()
    {
        ["AZURE_APP_KEY_VAULT_NAME"] = AppVault,
        ["STATUS_TOKEN_KEY_SECRET_NAME"] = "status-token-key",
        ["ADOBE_CLIENT_SECRET_NAME"] = "adobe-ims-client-secret",
        ["HOOK_VAULT_RETRY_SECONDS"] = "0",
        ["HOOK_VAULT_ATTEMPTS"] = "5",
    };

    private string VaultSecret(string name) => Path.Combine(_state, "vaults", AppVault, name);

    private List<string> Calls()
    {
        string log = Path.Combine(_state, "calls.log");
        return File.Exists(log) ? [.. File.ReadAllLines(log)] : [];
    }

    private Dictionary<string, string> AzdEnvironment()
    {
        string env = Path.Combine(_state, "azd.env");
        return File.Exists(env)
            ? File.ReadAllLines(env).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1])
            : [];
    }

    /// <summary>Runs a hook as azd does: sh, the repository root as working directory, the environment's values set.</summary>
    private (int Exit, string Output) Run(string hook, Dictionary<string, string>? values = null)
    {
        string root = AdlsOnboarding.Tests.Api.LocalFiles.Root;
        ProcessStartInfo start = new("sh", [Path.Combine(root, "infra", "hooks", hook)])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("AZURE_", StringComparison.Ordinal) || k.StartsWith("ADOBE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["PATH"] = Path.Combine(_state, "bin") + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        start.Environment["STUB_STATE"] = _state;
        foreach ((string name, string value) in AzdEnvironment().Concat(values ?? []))
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), $"{hook} did not end.");
        return (process.ExitCode, output.Result + errors.Result);
    }

    private static void Write(string path, string script)
    {
        File.WriteAllText(path, script.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private const string StubAzd = """
        #!/bin/sh
        # Stub azd: records the call; `env set NAME VALUE` saves to the pretend environment.
        printf '%s\n' "azd $*" >>"$STUB_STATE/calls.log"
        if [ "$1 $2" = "env set" ]; then
          printf '%s=%s\n' "$3" "$4" >>"$STUB_STATE/azd.env"
          exit 0
        fi
        echo "stub azd: unexpected call: $*" >&2
        exit 2
        """;

    private const string StubAz = """
        #!/bin/sh
        # Stub az: records the call; Key Vault secrets are files under $STUB_STATE/vaults/<vault>/ (soft-deleted ones
        # under deleted/); list-failures holds how many list calls still answer 403.
        printf '%s\n' "az $*" >>"$STUB_STATE/calls.log"
        command="$1 $2 $3"
        shift 3 || true
        vault=""; name=""; file=""; query=""
        while [ $# -gt 0 ]; do
          case "$1" in
            --vault-name) vault="$2"; shift 2 ;;
            --name) name="$2"; shift 2 ;;
            --file) file="$2"; shift 2 ;;
            --query) query="$2"; shift 2 ;;
            *) shift ;;
          esac
        done
        case "$command" in
          "keyvault secret list")
            failures="$(cat "$STUB_STATE/list-failures" 2>/dev/null || echo 0)"
            if [ "$failures" -gt 0 ]; then
              echo $((failures - 1)) >"$STUB_STATE/list-failures"
              echo "ERROR: (Forbidden) Caller is not authorized to perform action on resource. Inner error: ForbiddenByRbac" >&2
              exit 1
            fi
            wanted="$(printf '%s' "$query" | sed -n "s/.*name=='\([^']*\)'.*/\1/p")"
            if [ -f "$STUB_STATE/vaults/$vault/$wanted" ]; then echo 1; else echo 0; fi ;;
          "keyvault secret set")
            if [ -f "$STUB_STATE/deleted/$vault/$name" ]; then
              echo "ERROR: (Conflict) Secret $name is currently in a deleted but recoverable state. Code: ObjectIsDeletedButRecoverable" >&2
              exit 1
            fi
            cp "$file" "$STUB_STATE/vaults/$vault/$name" ;;
          "keyvault secret recover")
            mv "$STUB_STATE/deleted/$vault/$name" "$STUB_STATE/vaults/$vault/$name" ;;
          "deployment group create") ;;
          *) echo "stub az: unexpected call: $command" >&2; exit 2 ;;
        esac
        """;
}
