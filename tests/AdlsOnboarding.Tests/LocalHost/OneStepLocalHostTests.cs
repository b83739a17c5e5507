using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Azure.Data.Tables;
using Grpc.Net.Client;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Grpc;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdlsOnboarding.Tests.LocalHost;

/// <summary>
/// The one-step onboarding on the local host (Azure Storage backend on Azurite): one durable step on the happy path,
/// read from the task hub's history; a create Adobe holds past the work-item visibility timeout; and an upgrade with
/// four-step instances in flight.
/// </summary>
public sealed class OneStepLocalHostTests
{
    [Fact]
    public async Task Onboard_HappyPath_SchedulesExactlyOneActivity()
    {
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync();

        ApiResponse accepted = await harness.PostAsync(LocalHostHarness.Body("onestep"));
        Assert.Equal(202, accepted.Status);
        ApiResponse done = await harness.PollUntilDoneAsync(accepted.Header("Location")!);

        Assert.Equal(200, done.Status);
        string instanceId = accepted.Json.GetProperty("instanceId").GetString()!;
        Assert.Equal(nameof(OnboardingOrchestrationV2), await OrchestrationNameAsync(harness, instanceId));
        Assert.Equal([nameof(OnboardAccountActivity)], await ScheduledActivitiesAsync(harness, instanceId));
        Assert.Equal(OnboardingStatus.Connected, (await harness.Table.GetEntityAsync<AccountRecord>("prod", "onestep")).Value.Status);
    }

    [Fact]
    public async Task Onboard_AdobeHoldsTheCreatePastTheVisibilityTimeout_OneConnectionOneOutcome()
    {
        // Visibility 8 s, budget 4 s; a create that could wait 30 s for its answer, and a lease that covers it.
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s =>
        {
            s["Durable:WorkItemQueueVisibilityTimeout"] = "00:00:08";
            s["Onboarding:ActivityBudget"] = "00:00:04";
            s["Adobe:RequestTimeout"] = "00:00:30";
            s["Onboarding:CreateLease"] = "00:00:40";
        });
        // Adobe commits the create, then holds the answer for 3 × the visibility timeout.
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.CommitThenHang, Delay: TimeSpan.FromSeconds(24)));

        ApiResponse accepted = await harness.PostAsync(LocalHostHarness.Body("heldcreate"));
        Assert.Equal(202, accepted.Status);
        ApiResponse done = await harness.PollUntilDoneAsync(accepted.Header("Location")!, TimeSpan.FromMinutes(3));

        Assert.Equal(200, done.Status);
        Assert.Equal("connected", done.Json.GetProperty("status").GetString(), ignoreCase: true);
        SimulatedConnection connection = Assert.Single(harness.Adobe.State.Connections);
        Assert.Equal(connection.Id, done.Json.GetProperty("connectionId").GetString());
        Assert.Equal(1, harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Create));
        AccountRecord row = Assert.Single(await harness.Table.QueryAsync<AccountRecord>().ToListAsync());
        Assert.Equal(OnboardingStatus.Connected, row.Status);
        Assert.Equal(connection.Id, row.ConnectionId);
        Assert.False(row.CreatePending);
        string instanceId = accepted.Json.GetProperty("instanceId").GetString()!;
        Assert.Single(await HistoryAsync(harness, instanceId, "ExecutionCompleted"));
    }

    [Fact]
    public async Task Upgrade_FourStepInstancesInFlight_FinishOnTheOldShapeAndNewOnesRunOneStep()
    {
        int sidecarPort = WorkflowHarness.FreePort();
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s => s["Durable:SidecarPort"] = sidecarPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The old release's instances: started under the old name, held by Adobe mid-create when the host dies.
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.CommitThenHang, Delay: TimeSpan.FromSeconds(30)));
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.CommitThenHang, Delay: TimeSpan.FromSeconds(30)));
        string[] old = ["upgradeold1", "upgradeold2"];
        using (GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{sidecarPort}"))
        {
            await using GrpcDurableTaskClient client = new("upgrade", new GrpcDurableTaskClientOptions { Channel = channel }, NullLogger.Instance);
            foreach (string account in old)
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestration), OldInput(account), new Microsoft.DurableTask.StartOrchestrationOptions(OnboardingInstanceId.For("prod", account)));
            }
        }

        await Eventually.UntilAsync(() => harness.Adobe.State.Connections.Count == 2, () => harness.Host.Output, "Adobe to commit both old instances' creates");
        await harness.Host.KillAsync();
        await harness.Host.StartAgainAsync();
        ApiResponse accepted = await harness.PostAsync(LocalHostHarness.Body("upgradenew"));
        Assert.Equal(202, accepted.Status);

        string newId = accepted.Json.GetProperty("instanceId").GetString()!;
        foreach (string instanceId in old.Select(a => OnboardingInstanceId.For("prod", a)).Append(newId))
        {
            ApiResponse done = await harness.PollUntilDoneAsync(harness.StatusUrl(instanceId), TimeSpan.FromMinutes(3));
            Assert.Equal(200, done.Status);
            Assert.Equal("connected", done.Json.GetProperty("status").GetString(), ignoreCase: true);
        }

        foreach (string account in old)
        {
            string instanceId = OnboardingInstanceId.For("prod", account);
            Assert.Equal(nameof(OnboardingOrchestration), await OrchestrationNameAsync(harness, instanceId));
            List<string> steps = await ScheduledActivitiesAsync(harness, instanceId);
            Assert.Contains(nameof(CreateConnectionActivity), steps);
            Assert.Equal(2, steps.Count(s => s == nameof(SaveAccountRecordActivity)));
            Assert.DoesNotContain(nameof(OnboardAccountActivity), steps);
        }

        Assert.Equal(nameof(OnboardingOrchestrationV2), await OrchestrationNameAsync(harness, newId));
        Assert.Equal([nameof(OnboardAccountActivity)], await ScheduledActivitiesAsync(harness, newId));
        Assert.Equal(3, harness.Adobe.State.Connections.Count);
        Assert.Equal(3, harness.Adobe.State.Connections.Select(c => c.Auth.Url).Distinct().Count());
        List<AccountRecord> rows = await harness.Table.QueryAsync<AccountRecord>().ToListAsync();
        Assert.Equal(3, rows.Count(r => r.Status == OnboardingStatus.Connected));
    }

    /// <summary>What the old release's starter scheduled for a request of <see cref="LocalHostHarness.Body"/>.</summary>
    private static OnboardingInput OldInput(string account) => new(
        "prod", account, $"https://{account}.dfs.core.windows.net", WorkflowHarness.ClientId, WorkflowHarness.Tenant, WorkflowHarness.ServicePrincipalSecretName,
        null, $"adls-gen2-{account}", "ADLS Gen2 account onboarded by the upgrade test", "fingerprint-" + account,
        new OnboardingRetrySettings(8, TimeSpan.FromMilliseconds(200), 2, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)), OnboardingTriggers.Api);

    private static async Task<string?> OrchestrationNameAsync(LocalHostHarness harness, string instanceId)
    {
        TableEntity instance = (await Azurite.Table(harness.TaskHub + "Instances").GetEntityAsync<TableEntity>(instanceId, "")).Value;
        return instance.GetString("Name");
    }

    private static async Task<List<string>> ScheduledActivitiesAsync(LocalHostHarness harness, string instanceId) =>
        [.. (await HistoryAsync(harness, instanceId, "TaskScheduled")).Select(e => e.GetString("Name"))];

    private static async Task<List<TableEntity>> HistoryAsync(LocalHostHarness harness, string instanceId, string eventType) =>
        await Azurite.Table(harness.TaskHub + "History")
            .QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {instanceId} and EventType eq {eventType}"))
            .ToListAsync();
}
