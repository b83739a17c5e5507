using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>
/// The confused deputy on <c>secretName</c>: a caller with the function key names any secret of the vault. The key is
/// used only if its version's tags bind it to the request's service principal (and account, where listed); anything
/// else ends <c>SecretUnavailable</c> with nothing sent to Adobe and no value read. Real <c>SecretClient</c> against
/// the Key Vault stand-in, whose request log shows what was read.
/// </summary>
public sealed class SecretBindingTests : IAsyncLifetime
{
    private const string TeamBClientId = "22222222-3333-4444-5555-666666666666";
    private const string TeamBTenant = "fabrikam.onmicrosoft.com";

    private WorkflowHarness _harness = null!;

    private SimulatorState Adobe => _harness.Adobe.State;

    public async Task InitializeAsync() => _harness = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Onboard_OtherTeamsKeyForThisServicePrincipal_SecretUnavailableNothingSentNoValueRead()
    {
        _harness.KeyVault.State.SetSecret("sp-key-fabrikam", "team-b-key", tags: SecretBindingTags.For(TeamBClientId, TeamBTenant));

        OnboardingOutcome outcome = await OnboardUnavailableAsync("teamaacct", "sp-key-fabrikam");

        Assert.Equal(ServicePrincipalKeys.UnavailableMessage, outcome.ErrorMessage);
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 1500 && e.Message.Contains("another service principal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Onboard_TheAppsOwnImsClientSecret_SecretUnavailableNothingSentNoValueRead()
    {
        // The issue's example: this ended Connected, with the IMS client secret as the connection's key. The API now
        // refuses the name (400) and the app's secrets move to their own vault; this stands for a registration stored
        // before, or one vault for both (local runs): the key store itself refuses it.
        await OnboardUnavailableAsync("imsacct", WorkflowHarness.ImsSecretName);

        Assert.DoesNotContain(Adobe.Connections, c => c.Auth.ServicePrincipalKey == Adobe.Settings.ClientSecret);
    }

    [Fact]
    public async Task Onboard_UntaggedKey_SecretUnavailable()
    {
        _harness.RotateServicePrincipalKey(tags: new Dictionary<string, string>());

        await OnboardUnavailableAsync("untagged", WorkflowHarness.ServicePrincipalSecretName);
    }

    [Fact]
    public async Task Onboard_KeyBoundToThisClientInAnotherTenant_SecretUnavailable()
    {
        _harness.RotateServicePrincipalKey(tags: SecretBindingTags.For(WorkflowHarness.ClientId, TeamBTenant));

        await OnboardUnavailableAsync("othertenant", WorkflowHarness.ServicePrincipalSecretName);
    }

    [Fact]
    public async Task Onboard_KeyBoundByTenantGuid_RequestNamingTheDomain_SecretUnavailable()
    {
        _harness.RotateServicePrincipalKey(tags: SecretBindingTags.For(WorkflowHarness.ClientId, "72f988bf-86f1-41af-91ab-2d7cd011db47"));

        await OnboardUnavailableAsync("guidtenant", WorkflowHarness.ServicePrincipalSecretName);
    }

    [Fact]
    public async Task Onboard_AccountsTagNotListingTheAccount_SecretUnavailable()
    {
        _harness.RotateServicePrincipalKey(tags: WorkflowHarness.BoundTags("otheracct1", "otheracct2"));

        await OnboardUnavailableAsync("notlisted", WorkflowHarness.ServicePrincipalSecretName);
    }

    [Fact]
    public async Task Onboard_KeyBoundToServicePrincipalAndListingTheAccount_ConnectsWithThatKey()
    {
        string version = _harness.RotateServicePrincipalKey(tags: WorkflowHarness.BoundTags("otheracct1", "listedacct"));

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("listedacct"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(version, outcome.SecretVersion);
        Assert.Equal(_harness.ServicePrincipalKey, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);

        // Properties first, then the value of exactly the bound version, never the current one by name.
        List<string> paths = [.. _harness.KeyVault.State.Calls.Where(c => c.Status == 200 && c.Path.Contains(WorkflowHarness.ServicePrincipalSecretName, StringComparison.Ordinal)).Select(c => c.Path)];
        Assert.Equal($"/secrets/{WorkflowHarness.ServicePrincipalSecretName}/versions", paths[0]);
        Assert.Contains($"/secrets/{WorkflowHarness.ServicePrincipalSecretName}/{version}", paths);
        Assert.All(paths, p => Assert.True(p.EndsWith("/versions", StringComparison.Ordinal) || p.EndsWith("/" + version, StringComparison.Ordinal), p));
    }

    [Fact]
    public async Task Onboard_KeyBoundToItsTeamsSandbox_RequestForAnotherSandbox_SecretUnavailableNothingSent()
    {
        // Red team: the key is bound to its service principal and account, but a caller holding the function key chose
        // the sandbox. Without a sandbox binding the key went to a connection in the caller's sandbox, which can then
        // read the account there. The operator's sandboxes tag now confines it.
        Dictionary<string, string> tags = WorkflowHarness.BoundTags("teambacct");
        tags[SecretBindingTags.Sandboxes] = "team-b-prod, team-b-dev";
        _harness.RotateServicePrincipalKey(tags: tags);

        OnboardingInput input = _harness.Input(WorkflowHarness.Request("teambacct", sandbox: "prod"));
        string instanceId = OnboardingInstanceId.For(input.Sandbox, input.AccountName);
        await _harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestrationV2), input, new Microsoft.DurableTask.StartOrchestrationOptions(instanceId));
        OnboardingOutcome outcome = (await _harness.WaitAsync(instanceId)).ReadOutputAs<OnboardingOutcome>()!;

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal(SecretErrorCodes.Unavailable, outcome.ErrorCode);
        Assert.Empty(Adobe.Connections);
        Assert.DoesNotContain(_harness.KeyVault.State.Calls, c => c.Path == $"/secrets/{WorkflowHarness.ServicePrincipalSecretName}/{_harness.ServicePrincipalKeyVersion}");
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 1500 && e.Message.Contains("does not list sandbox prod", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Onboard_KeyWhoseSandboxesTagListsTheSandbox_Connects()
    {
        Dictionary<string, string> tags = WorkflowHarness.BoundTags();
        tags[SecretBindingTags.Sandboxes] = "dev,prod";
        _harness.RotateServicePrincipalKey(tags: tags);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("sandboxlisted", sandbox: "prod"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(_harness.ServicePrincipalKey, Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task Onboard_NotFoundForbiddenOrUnbound_OneAnswerInRecordOutcomeAndProblem()
    {
        _harness.KeyVault.State.SetSecret("sp-key-locked", "locked-key", tags: WorkflowHarness.BoundTags());
        _harness.KeyVault.State.Forbid("sp-key-locked");
        _harness.KeyVault.State.SetSecret("sp-key-fabrikam", "team-b-key", tags: SecretBindingTags.For(TeamBClientId, TeamBTenant));

        List<string> answers = [];
        foreach ((string account, string secret) in new[] { ("missingkey", "no-such-secret"), ("lockedkey", "sp-key-locked"), ("unboundkey", "sp-key-fabrikam") })
        {
            ApiResponse problem = await OnboardThroughApiAsync(account, secret);
            Assert.Equal(422, problem.Status);
            Assert.Equal("SecretUnavailable", problem.Json.GetProperty("errorCode").GetString());
            AccountRecord record = (await _harness.RecordAsync("prod", account))!;
            Assert.Equal("SecretUnavailable", record.ErrorCode);
            answers.Add($"{problem.Json.GetProperty("title").GetString()}|{problem.Json.GetProperty("detail").GetString()}|{record.ErrorMessage}");
        }

        Assert.Single(answers.Distinct());
        Assert.DoesNotContain("no-such-secret", answers[0], StringComparison.Ordinal);
        Assert.Empty(Adobe.Calls);

        // Why, for the operator: each reason is in the logs.
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 1500 && e.Message.Contains("no-such-secret", StringComparison.Ordinal) && e.Message.Contains("does not exist", StringComparison.Ordinal));
        Assert.Contains(_harness.Logs.Entries, e => e.EventId.Id == 1500 && e.Message.Contains("sp-key-locked", StringComparison.Ordinal) && e.Message.Contains("403", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Onboard_TwoVersionsInTheSameSecondOneUnbound_SecretUnavailableWithoutReadingAValue()
    {
        DateTimeOffset second = DateTimeOffset.UtcNow.AddSeconds(5);
        _harness.KeyVault.State.SetSecret("sp-key-tie", "bound-key", createdOn: second, tags: WorkflowHarness.BoundTags());
        _harness.KeyVault.State.SetSecret("sp-key-tie", "unbound-key", createdOn: second);

        await OnboardUnavailableAsync("tieunbound", "sp-key-tie");
    }

    [Fact]
    public async Task Onboard_TwoBoundVersionsInTheSameSecond_UsesTheOneKeyVaultCallsCurrent()
    {
        DateTimeOffset second = DateTimeOffset.UtcNow.AddSeconds(5);
        _harness.KeyVault.State.SetSecret("sp-key-tie", "first-key", createdOn: second, tags: WorkflowHarness.BoundTags());
        string current = _harness.KeyVault.State.SetSecret("sp-key-tie", "current-key", createdOn: second, tags: WorkflowHarness.BoundTags());

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("tiebound", secretName: "sp-key-tie"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(current, outcome.SecretVersion);
        Assert.Equal("current-key", Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task Onboard_ManyVersions_FollowsEveryPageAndFindsTheCurrentBoundOne()
    {
        DateTimeOffset start = DateTimeOffset.UtcNow.AddMinutes(-10);
        for (int i = 0; i < 30; i++)
        {
            // Old versions unbound, as a team's history before tagging would be.
            _harness.KeyVault.State.SetSecret("sp-key-old", $"old-key-{i}", createdOn: start.AddSeconds(i));
        }

        string current = _harness.KeyVault.State.SetSecret("sp-key-old", "newest-key", createdOn: start.AddMinutes(5), tags: WorkflowHarness.BoundTags());

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("manyversions", secretName: "sp-key-old"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(current, outcome.SecretVersion);
        Assert.Equal("newest-key", Assert.Single(Adobe.Connections).Auth.ServicePrincipalKey);
        Assert.True(_harness.KeyVault.State.Calls.Count(c => c.Path == "/secrets/sp-key-old/versions" && c.Status == 200) >= 2, "the 31 versions span two pages of 25");
    }

    /// <summary>Onboards with <paramref name="secretName"/> and checks the one answer, nothing sent, no value of it read.</summary>
    private async Task<OnboardingOutcome> OnboardUnavailableAsync(string account, string secretName)
    {
        // Scheduled as the sweep or an older release would, past today's request validator: the key store must hold alone.
        OnboardingInput input = _harness.Input(WorkflowHarness.Request(account)) with { SecretName = secretName };
        string instanceId = OnboardingInstanceId.For(input.Sandbox, input.AccountName);
        await _harness.Client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestrationV2), input, new Microsoft.DurableTask.StartOrchestrationOptions(instanceId));
        OnboardingOutcome outcome = (await _harness.WaitAsync(instanceId)).ReadOutputAs<OnboardingOutcome>()!;

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal(SecretErrorCodes.Unavailable, outcome.ErrorCode);
        Assert.Equal(ServicePrincipalKeys.UnavailableMessage, outcome.ErrorMessage);
        AccountRecord record = (await _harness.RecordAsync("prod", account))!;
        Assert.Equal(SecretErrorCodes.Unavailable, record.ErrorCode);
        Assert.Equal(ServicePrincipalKeys.UnavailableMessage, record.ErrorMessage);

        // Nothing went to Adobe: not even a token was asked for.
        Assert.Empty(Adobe.Calls);
        Assert.Empty(Adobe.Connections);

        // The stand-in saw the versions list of that secret and nothing else of it: no value was read.
        List<string> paths = [.. _harness.KeyVault.State.Calls.Where(c => c.Path.StartsWith($"/secrets/{secretName}", StringComparison.Ordinal)).Select(c => c.Path)];
        Assert.NotEmpty(paths);
        Assert.All(paths, p => Assert.Equal($"/secrets/{secretName}/versions", p));
        return outcome;
    }

    private async Task<ApiResponse> OnboardThroughApiAsync(string account, string secretName)
    {
        string body = $$"""{"storageAccountUrl":"https://{{account}}.dfs.core.windows.net","clientId":"{{WorkflowHarness.ClientId}}","tenant":"{{WorkflowHarness.Tenant}}","secretName":"{{secretName}}","sandbox":"prod"}""";
        var post = ApiCall.Request("POST", "https://app.test/api/onboardings", body);
        ApiResponse accepted = await ApiCall.ExecuteAsync(post, await _harness.Api.StartAsync(post, _harness.Client));
        Assert.Equal(202, accepted.Status);
        string instanceId = accepted.Json.GetProperty("instanceId").GetString()!;
        await _harness.WaitAsync(instanceId);
        var get = ApiCall.Request("GET", accepted.Header("Location")!, contentType: null);
        return await ApiCall.ExecuteAsync(get, await _harness.Api.GetStatusAsync(get, _harness.Client, instanceId));
    }
}
