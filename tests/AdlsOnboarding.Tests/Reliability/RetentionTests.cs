using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Azure.Data.Tables;

namespace AdlsOnboarding.Tests.Reliability;

/// <summary>Finished orchestrations' history is purged after the retention age; the account record stays.</summary>
public sealed class RetentionTests
{
    [Fact]
    public async Task Purge_AfterMaxAge_HistoryGoneRecordKept()
    {
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s =>
        {
            s["HistoryPurgeSchedule"] = "*/2 * * * * *";
            // The age counts from the instance's creation: the onboarding (its pre-flight's first sign-in in a fresh
            // host included) must be seen finished before its history is old enough to purge, even on a busy machine.
            s["Retention:MaxAge"] = "00:00:15";
        });
        ApiResponse accepted = await harness.PostAsync(LocalHostHarness.Body("retained"));
        string location = accepted.Header("Location")!;
        Assert.Equal(200, (await harness.PollUntilDoneAsync(location)).Status);
        TableClient history = Azurite.Table(harness.TaskHub + "History");
        Assert.NotEmpty(await history.QueryAsync<TableEntity>(e => e.PartitionKey == "onboard-prod-retained").ToListAsync());

        ApiResponse afterPurge = await Eventually.UntilAsync(
            () => harness.GetAsync(harness.StatusUrl("onboard-prod-retained")),
            r => r.Status == 404,
            () => harness.Host.Output,
            "the purge of the finished onboarding's history",
            interval: TimeSpan.FromMilliseconds(250));

        Assert.Equal(404, afterPurge.Status);
        Assert.Empty(await history.QueryAsync<TableEntity>(e => e.PartitionKey == "onboard-prod-retained").ToListAsync());
        AccountRecord record = (await harness.Table.GetEntityAsync<AccountRecord>("prod", "retained")).Value;
        Assert.Equal(OnboardingStatus.Connected, record.Status);
    }
}
