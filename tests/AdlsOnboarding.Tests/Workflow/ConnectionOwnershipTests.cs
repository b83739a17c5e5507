using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Azure.Data.Tables;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>
/// The trust boundary around Adobe connections (docs/ownership.md): a caller holding the function key can make the app
/// change (PATCH) or delete only connections the app created, or one it names in adoptConnectionId that already points
/// at the account with the request's service principal and tenant. Someone else's connection with the account's name
/// or URL is a ConnectionConflict naming it, and the simulator's call log shows it was never patched or deleted.
/// </summary>
public sealed class ConnectionOwnershipTests : IAsyncLifetime
{
    private const string OtherTeamClientId = "99999999-8888-7777-6666-555555555555";
    private const string OtherTeamTenant = "fabrikam.onmicrosoft.com";
    private const string OtherTeamKey = "other-teams-key";

    private WorkflowHarness _harness = null!;

    private SimulatorState Adobe => _harness.Adobe.State;

    public async Task InitializeAsync() => _harness = await WorkflowHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>A connection someone else made (in the UI unless another client is named).</summary>
    private SimulatedConnection Existing(string name, string account, string clientId = OtherTeamClientId, string tenant = OtherTeamTenant, string createdClient = SimulatedConnection.UiClient) => Adobe.Add(new SimulatedConnection
    {
        Id = Guid.NewGuid().ToString(),
        Sandbox = "prod",
        Name = name,
        ConnectionSpecId = AdobeSimulatorEndpoints.AdlsGen2SpecId,
        ConnectionSpecVersion = "1.0",
        SpecName = AdobeSimulatorEndpoints.AdlsGen2SpecName,
        Auth = new SimulatedAuthParams($"https://{account}.dfs.core.windows.net", clientId, OtherTeamKey, tenant),
        Etag = SimulatorState.NewEtag(),
        CreatedAt = 1000,
        CreatedClient = createdClient,
    });

    /// <summary>Calls that change a connection (PATCH, DELETE) aimed at one connection id.</summary>
    private List<RecordedCall> WritesTo(string connectionId) =>
        [.. Adobe.Calls.Where(c => c.Operation is SimulatedOperation.Update or SimulatedOperation.Delete && c.Path.Contains(connectionId, StringComparison.Ordinal))];

    private int Calls(SimulatedOperation operation) => Adobe.Calls.Count(c => c.Operation == operation);

    private static OnboardingRequest Adopting(string account, string connectionId, string? connectionName = null) =>
        WorkflowHarness.Request(account, connectionName: connectionName) with { AdoptConnectionId = connectionId };

    private async Task<OffboardingOutcome> OffboardAsync(string account)
    {
        string instanceId = OffboardingInput.InstanceIdFor("prod", account);
        await _harness.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(OffboardingOrchestration), new OffboardingInput("prod", account, OnboardingStatus.Connected, _harness.RetrySettings), new StartOrchestrationOptions(instanceId));
        OrchestrationMetadata metadata = await _harness.WaitAsync(instanceId);
        return metadata.ReadOutputAs<OffboardingOutcome>()!;
    }

    private static void AssertConflictNaming(OnboardingOutcome outcome, string connectionId) =>
        AssertConflictNaming(outcome.Status, outcome.ErrorCode, outcome.ErrorMessage, connectionId);

    private static void AssertConflictNaming(OffboardingOutcome outcome, string connectionId) =>
        AssertConflictNaming(outcome.Status, outcome.ErrorCode, outcome.ErrorMessage, connectionId);

    private static void AssertConflictNaming(OnboardingStatus status, string? errorCode, string? errorMessage, string connectionId)
    {
        Assert.Equal(OnboardingStatus.Failed, status);
        Assert.Equal(ConnectionOwnership.ConflictCode, errorCode);
        Assert.Contains(connectionId, errorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Onboard_SameNameAndUrlOtherServicePrincipal_ConflictAndNeverTouched()
    {
        // The repro: this used to come back Updated, same id, now carrying the caller's credentials.
        SimulatedConnection theirs = Existing("adls-gen2-shared", "shared");

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("shared"));
        OffboardingOutcome offboarded = await OffboardAsync("shared");

        AssertConflictNaming(outcome, theirs.Id);
        Assert.Empty(WritesTo(theirs.Id));
        Assert.Equal(0, Calls(SimulatedOperation.Create));
        Assert.Equal(new SimulatedAuthParams("https://shared.dfs.core.windows.net", OtherTeamClientId, OtherTeamKey, OtherTeamTenant), theirs.Auth);
        Assert.Equal(DeletionAction.NoConnection, offboarded.Deletion);
        Assert.False(theirs.Deleted);
    }

    [Fact]
    public async Task Onboard_SameNameSameServicePrincipalMadeByHand_ConflictWithoutAdoptConnectionId()
    {
        // Even a connection with the caller's own service principal is not taken over by name: adoption is explicit.
        SimulatedConnection byHand = Existing("adls-gen2-handmade", "handmade", WorkflowHarness.ClientId, WorkflowHarness.Tenant);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("handmade"));

        AssertConflictNaming(outcome, byHand.Id);
        Assert.Contains("adoptConnectionId", outcome.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(WritesTo(byHand.Id));
        Assert.Equal(OtherTeamKey, byHand.Auth.ServicePrincipalKey);
        Assert.Single(Adobe.Connections);
    }

    [Fact]
    public async Task Onboard_OtherNameSameUrl_ConflictAndNoSecondConnection()
    {
        SimulatedConnection theirs = Existing("fabrikam lake", "lake");

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("lake"));

        AssertConflictNaming(outcome, theirs.Id);
        Assert.Equal(0, Calls(SimulatedOperation.Create));
        Assert.Empty(WritesTo(theirs.Id));
        Assert.Single(Adobe.Connections);
    }

    [Fact]
    public async Task Onboard_AdoptConnectionIdOfAnotherTeamsConnection_ConflictAndNeverTouched()
    {
        // The caller names another team's connection of this very account: its service principal and tenant differ.
        SimulatedConnection theirs = Existing("fabrikam lake", "victim");

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(Adopting("victim", theirs.Id));
        OffboardingOutcome offboarded = await OffboardAsync("victim");

        AssertConflictNaming(outcome, theirs.Id);
        Assert.Contains("servicePrincipalId", outcome.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(OtherTeamClientId, outcome.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(WritesTo(theirs.Id));
        Assert.Equal(OtherTeamKey, theirs.Auth.ServicePrincipalKey);
        Assert.Equal(DeletionAction.NoConnection, offboarded.Deletion);
        Assert.False(theirs.Deleted);
        Assert.True(string.IsNullOrEmpty((await _harness.RecordAsync("prod", "victim"))!.ConnectionId));
    }

    [Fact]
    public async Task Onboard_AdoptConnectionIdOfAnotherAccountsConnection_ConflictAndNeverTouched()
    {
        // Same service principal and tenant, but the connection points at another storage account.
        SimulatedConnection elsewhere = Existing("adls-gen2-elsewhere", "elsewhere", WorkflowHarness.ClientId, WorkflowHarness.Tenant);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(Adopting("mine", elsewhere.Id));

        AssertConflictNaming(outcome, elsewhere.Id);
        Assert.Contains("url", outcome.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(WritesTo(elsewhere.Id));
        Assert.Equal("https://elsewhere.dfs.core.windows.net", elsewhere.Auth.Url);
    }

    [Fact]
    public async Task Onboard_AdoptConnectionIdUnknown_ConnectionNotFoundAndNothingCreated()
    {
        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(Adopting("ghost", "69f188b6-af07-4587-8061-e94d34637b41"));

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal(ConnectionOwnership.AdoptNotFoundCode, outcome.ErrorCode);
        Assert.Empty(Adobe.Connections);
        Assert.Equal(0, Calls(SimulatedOperation.Create));
    }

    [Fact]
    public async Task Onboard_AdoptConnectionIdMatching_UpdatedRenamedRecordedWithItsCreatorThenOffboardDeletes()
    {
        SimulatedConnection byHand = Existing("Contoso lake (UI)", "adopted", WorkflowHarness.ClientId, WorkflowHarness.Tenant);

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(Adopting("adopted", byHand.Id));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(ConnectionAction.Updated, outcome.Action);
        Assert.Equal(byHand.Id, outcome.ConnectionId);
        Assert.Equal(_harness.ServicePrincipalKey, byHand.Auth.ServicePrincipalKey);
        Assert.Equal("adls-gen2-adopted", byHand.Name);
        Assert.Equal(0, Calls(SimulatedOperation.Create));
        AccountRecord record = (await _harness.RecordAsync("prod", "adopted"))!;
        Assert.Equal(byHand.Id, record.ConnectionId);
        Assert.Equal(SimulatedConnection.UiClient, record.ConnectionCreatedClient);

        OffboardingOutcome offboarded = await OffboardAsync("adopted");

        Assert.Equal(DeletionAction.Deleted, offboarded.Deletion);
        Assert.True(byHand.Deleted);
    }

    [Fact]
    public async Task Onboard_Created_RecordsAdobesCreatedClientWhichIsOurImsClient()
    {
        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("fresh"));

        SimulatedConnection created = Assert.Single(Adobe.Connections);
        Assert.Equal(ConnectionAction.Created, outcome.Action);
        Assert.Equal(Adobe.Settings.ClientId, created.CreatedClient);
        Assert.Equal(Adobe.Settings.ClientId, (await _harness.RecordAsync("prod", "fresh"))!.ConnectionCreatedClient);
    }

    [Fact]
    public async Task Onboard_AccountAlreadyConnectedAndAdoptingAnother_ConflictNeitherTouched()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("twoofthem"));
        SimulatedConnection ours = Assert.Single(Adobe.Connections);
        SimulatedConnection another = Existing("another", "twoofthem", WorkflowHarness.ClientId, WorkflowHarness.Tenant);
        _harness.RotateServicePrincipalKey();

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(Adopting("twoofthem", another.Id));

        AssertConflictNaming(outcome, ours.Id);
        Assert.Contains(another.Id, outcome.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(WritesTo(ours.Id));
        Assert.Empty(WritesTo(another.Id));
    }

    /// <summary>A record written under the removed adopt-by-name rule: it holds the id of a connection the app did not create.</summary>
    private async Task<SimulatedConnection> LegacyAdoptedRecordAsync(string account)
    {
        SimulatedConnection handMade = Existing($"adls-gen2-{account}", account, WorkflowHarness.ClientId, WorkflowHarness.Tenant);
        await _harness.Table.CreateIfNotExistsAsync();
        await _harness.Table.UpsertEntityAsync(new TableEntity("prod", account)
        {
            [nameof(AccountRecord.Status)] = nameof(OnboardingStatus.Connected),
            [nameof(AccountRecord.StorageAccountUrl)] = $"https://{account}.dfs.core.windows.net",
            [nameof(AccountRecord.ClientId)] = WorkflowHarness.ClientId,
            [nameof(AccountRecord.Tenant)] = WorkflowHarness.Tenant,
            [nameof(AccountRecord.SecretName)] = WorkflowHarness.ServicePrincipalSecretName,
            [nameof(AccountRecord.ConnectionName)] = $"adls-gen2-{account}",
            [nameof(AccountRecord.ConnectionId)] = handMade.Id,
            [nameof(AccountRecord.ConnectionEtag)] = handMade.Etag,
            [nameof(AccountRecord.SecretVersion)] = "0123456789abcdef0123456789abcdef",
        });
        return handMade;
    }

    [Fact]
    public async Task Reonboard_RecordFromTheOldAdoptByNameRule_ConflictAndNotPatched()
    {
        SimulatedConnection handMade = await LegacyAdoptedRecordAsync("legacy");

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("legacy"));

        AssertConflictNaming(outcome, handMade.Id);
        Assert.Empty(WritesTo(handMade.Id));
        Assert.Equal(OtherTeamKey, handMade.Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task Offboard_RecordFromTheOldAdoptByNameRule_NotDeleted()
    {
        SimulatedConnection handMade = await LegacyAdoptedRecordAsync("legacygone");

        OffboardingOutcome outcome = await OffboardAsync("legacygone");

        AssertConflictNaming(outcome, handMade.Id);
        Assert.Empty(WritesTo(handMade.Id));
        Assert.False(handMade.Deleted);
        Assert.Equal(OnboardingStatus.Connected, (await _harness.RecordAsync("prod", "legacygone"))!.Status);
    }

    [Fact]
    public async Task Reonboard_RecordFromTheOldRuleWithExplicitAdoption_AdoptedAndRecorded()
    {
        SimulatedConnection handMade = await LegacyAdoptedRecordAsync("legacyok");

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(Adopting("legacyok", handMade.Id));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(handMade.Id, outcome.ConnectionId);
        Assert.Equal(_harness.ServicePrincipalKey, handMade.Auth.ServicePrincipalKey);
        Assert.Equal(SimulatedConnection.UiClient, (await _harness.RecordAsync("prod", "legacyok"))!.ConnectionCreatedClient);
    }

    [Fact]
    public async Task Reonboard_RecordedConnectionRepointedByHand_ConflictAndNotPatched()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("repointed"));
        SimulatedConnection ours = Assert.Single(Adobe.Connections);
        Adobe.EditOutOfBand(ours, c => c.Auth = c.Auth with { Url = "https://someoneelse.dfs.core.windows.net" });
        _harness.RotateServicePrincipalKey();

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("repointed"));

        AssertConflictNaming(outcome, ours.Id);
        Assert.Empty(WritesTo(ours.Id));
        Assert.Equal("https://someoneelse.dfs.core.windows.net", ours.Auth.Url);
    }

    [Fact]
    public async Task Reonboard_ConnectionNameChanged_SameConnectionRenamedNeverTwo()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("renamed"));
        SimulatedConnection ours = Assert.Single(Adobe.Connections);
        string etagBefore = ours.Etag;

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("renamed", connectionName: "Contoso renamed lake"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(ConnectionAction.Updated, outcome.Action);
        Assert.Equal(ours.Id, outcome.ConnectionId);
        Assert.Single(Adobe.Connections, c => !c.Deleted);
        Assert.Equal("Contoso renamed lake", ours.Name);
        Assert.Equal(1, Calls(SimulatedOperation.Create));
        Assert.Equal(1, Calls(SimulatedOperation.Update));
        Assert.NotEqual(etagBefore, ours.Etag);
        AccountRecord record = (await _harness.RecordAsync("prod", "renamed"))!;
        Assert.Equal("Contoso renamed lake", record.ConnectionName);
        Assert.Equal(ours.Etag, record.ConnectionEtag);
    }

    [Fact]
    public async Task Reonboard_RenameToAnotherConnectionsName_ConflictNeitherTouched()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("wantsname"));
        SimulatedConnection ours = Assert.Single(Adobe.Connections);
        SimulatedConnection theirs = Existing("Taken name", "otheraccount");

        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("wantsname", connectionName: "Taken name"));

        AssertConflictNaming(outcome, theirs.Id);
        Assert.Empty(WritesTo(ours.Id));
        Assert.Empty(WritesTo(theirs.Id));
        Assert.Equal("adls-gen2-wantsname", ours.Name);
    }

    [Fact]
    public async Task Reonboard_SomeoneElseEditsDuringTheUpdate_ConflictAndTheirEditKept()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("racing"));
        SimulatedConnection ours = Assert.Single(Adobe.Connections);
        _harness.RotateServicePrincipalKey();

        // Between the app's read and its PATCH, someone changes the connection in the UI: the PATCH meets 412.
        Adobe.BeforeNextUpdate = () => Adobe.EditOutOfBand(ours, c => c.Auth = c.Auth with { ServicePrincipalKey = "fixed-by-hand" });
        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("racing"));

        AssertConflictNaming(outcome, ours.Id);
        Assert.Contains(SimulatedConnection.UiClient, outcome.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("fixed-by-hand", ours.Auth.ServicePrincipalKey);
        Assert.Equal([412], Adobe.Calls.Where(c => c.Operation == SimulatedOperation.Update).Select(c => c.Status));
    }

    [Fact]
    public async Task Reonboard_OurOwnClientMovedTheEtag_ReappliedOnTheNewEtag()
    {
        await _harness.OnboardAsync(WorkflowHarness.Request("ownrace"));
        SimulatedConnection ours = Assert.Single(Adobe.Connections);
        _harness.RotateServicePrincipalKey();

        // Another execution of this app (the same IMS client) updated it first: not someone else's edit.
        Adobe.BeforeNextUpdate = () => Adobe.EditOutOfBand(ours, _ => { }, Adobe.Settings.ClientId);
        (_, OnboardingOutcome outcome) = await _harness.OnboardAsync(WorkflowHarness.Request("ownrace"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(ConnectionAction.Updated, outcome.Action);
        Assert.Equal(_harness.ServicePrincipalKey, ours.Auth.ServicePrincipalKey);
        Assert.Equal([412, 200], Adobe.Calls.Where(c => c.Operation == SimulatedOperation.Update).Select(c => c.Status));
    }
}
