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
        // The purge stays off until the test has seen the finished onboarding and its history: with it on from the
        // start, an onboarding slower than the retention age (a loaded machine) is purged as soon as it completes,
        // before the status poll or the history query can see it.
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s => s["HistoryPurgeSchedule"] = "off");
        ApiResponse accepted = await harness.PostAsync(LocalHostHarness.Body("retained"));
        string location = accepted.Header("Location")!;
        Assert.Equal(200, (await harness.PollUntilDoneAsync(location)).Status);
        TableClient history = Azurite.Table(harness.TaskHub + "History");
        Assert.NotEmpty(await history.QueryAsync<TableEntity>(e => e.PartitionKey == "onboard-prod-retained").ToListAsync());

        // The same host (task hub, table) again, now purging every 2 s what finished more than 3 s ago.
        await harness.Host.KillAsync();
        await harness.Host.StartAgainAsync(s =>
        {
            s["HistoryPurgeSchedule"] = "*/2 * * * * *";
            s["Retention:MaxAge"] = "00:00:03";
        });

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
