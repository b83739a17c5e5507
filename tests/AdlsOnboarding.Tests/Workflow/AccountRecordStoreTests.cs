using System.Reflection;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Storage;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>The account-record store on Azurite: the columns existing tables hold, merges only, the sweep's backoff.</summary>
public sealed class AccountRecordStoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly TableClient _table = Azurite.Table(Azurite.UniqueTableName("store"));
    private AccountRecordStore _store = null!;

    private static OnboardingRun Run(string account = "storeacct") => new(
        new AccountRegistration("prod", account, $"https://{account}.dfs.core.windows.net", "11111111-2222-3333-4444-555555555555", "contoso.onmicrosoft.com", "sp-key", null, $"adls-gen2-{account}", "", "fp1"),
        $"onboard-prod-{account}",
        OnboardingTriggers.Sweep,
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

    public async Task InitializeAsync()
    {
        await Azurite.EnsureRunningAsync();
        _store = new AccountRecordStore(_table, Options.Create(new SweepOptions { RetryBackoff = TimeSpan.FromMinutes(1) }), _time);
    }

    public async Task DisposeAsync() => await _table.DeleteAsync();

    private async Task<TableEntity> RawAsync(string account = "storeacct") => (await _table.GetEntityAsync<TableEntity>("prod", account)).Value;

    [Fact]
    public async Task RememberWrittenRecord_TheRecordThisRunCreated_ReadBackAsStoredWithAUsableETag()
    {
        AccountRecord? remembered;
        using (_store.RememberWrittenRecord())
        {
            await _store.MarkOnboardingAsync(Run("fresh"));
            remembered = await _store.GetAsync("prod", "fresh");
        }

        AccountRecord stored = (await _table.GetEntityAsync<AccountRecord>("prod", "fresh")).Value;
        Assert.NotNull(remembered);
        Assert.Equal(stored.ETag, remembered.ETag);
        Assert.Equal(OnboardingStatus.Onboarding, remembered.Status);
        Assert.Equal(stored.InstanceId, remembered.InstanceId);
        Assert.Equal(stored.StorageAccountUrl, remembered.StorageAccountUrl);
        Assert.Equal(stored.CreatedAt, remembered.CreatedAt);
        Assert.Null(remembered.CreatePending);
        Assert.Null(remembered.ConnectionId);

        // The conditional write the reconciler makes next accepts it.
        Assert.True(await _store.TryBeginCreateAsync("prod", "fresh", remembered, "onboard-prod-fresh", "v1", TimeSpan.FromSeconds(40)));
    }

    [Fact]
    public async Task RememberWrittenRecord_ARecordThatExistedBefore_IsReadFromTheTable()
    {
        await _store.MarkOnboardingAsync(Run("known"));
        await _store.MarkConnectedAsync(Run("known"), new ConnectedAccount("conn-9", "\"e9\"", "v9", ConnectionAction.Created, true, 1, null, null));

        AccountRecord? read;
        using (_store.RememberWrittenRecord())
        {
            await _store.MarkOnboardingAsync(Run("known"));
            read = await _store.GetAsync("prod", "known");
        }

        // Only a read tells what else the record holds: the connection and key version of the earlier onboarding.
        Assert.Equal("conn-9", read!.ConnectionId);
        Assert.Equal("v9", read.SecretVersion);
        Assert.Equal(OnboardingStatus.Onboarding, read.Status);
    }

    [Fact]
    public async Task MarkOnboarding_LikelyNewButTheRecordExists_TheRefusedAddIsReadAndMergedKeepingWhatTheRecordHeld()
    {
        await _store.MarkOnboardingAsync(Run("guessed"));
        await _store.MarkConnectedAsync(Run("guessed"), new ConnectedAccount("conn-7", "\"e7\"", "v7", ConnectionAction.Created, true, 1, null, null));
        DateTimeOffset? created = (await RawAsync("guessed")).GetDateTimeOffset(nameof(AccountRecord.CreatedAt));
        _time.Advance(TimeSpan.FromMinutes(5));

        AccountRecord read;
        using (_store.RememberWrittenRecord())
        {
            // The guess is wrong: the add is refused (409), the record is read and the mark merged into it.
            await _store.MarkOnboardingAsync(Run("guessed"), likelyNew: true);
            read = (await _store.GetAsync("prod", "guessed"))!;
            await AssertSameAsStoredAsync(read);
        }

        Assert.Equal(OnboardingStatus.Onboarding, read.Status);
        Assert.Equal("conn-7", read.ConnectionId);
        Assert.Equal("v7", read.SecretVersion);
        Assert.Equal(created, (await RawAsync("guessed")).GetDateTimeOffset(nameof(AccountRecord.CreatedAt)));
    }

    [Fact]
    public async Task MarkOnboarding_LikelyNewButANewerRegistrationExists_TheRefusedAddLeavesItAndTheRunIsSuperseded()
    {
        // A PUT registered the account (revision 7) after the run took its input (revision 3).
        TableEntity registered = new("prod", "putfirst")
        {
            [nameof(AccountRecord.RegistrationRevision)] = 7L,
            [nameof(AccountRecord.ConnectionName)] = "renamed",
            [nameof(AccountRecord.Status)] = nameof(OnboardingStatus.Pending),
        };
        await _table.CreateIfNotExistsAsync();
        await _table.AddEntityAsync(registered);

        OnboardingStatus written;
        AccountRecord read;
        using (_store.RememberWrittenRecord())
        {
            written = await _store.MarkOnboardingAsync(Run("putfirst") with { RegistrationRevision = 3 }, likelyNew: true);
            read = (await _store.GetAsync("prod", "putfirst"))!;
            await AssertSameAsStoredAsync(read);
        }

        Assert.Equal(OnboardingStatus.Pending, written);
        Assert.Equal(7L, read.RegistrationRevision);
        Assert.Equal("renamed", read.ConnectionName);
        Assert.Equal("onboard-prod-putfirst", read.InstanceId);
    }

    [Fact]
    public async Task MarkOnboarding_LikelyNewAndAbsent_AddsTheRecordWithoutReadingIt()
    {
        using (_store.RememberWrittenRecord())
        {
            await _store.MarkOnboardingAsync(Run("firsttime"), likelyNew: true);
            AccountRecord remembered = (await _store.GetAsync("prod", "firsttime"))!;
            await AssertSameAsStoredAsync(remembered);
            Assert.Equal(OnboardingStatus.Onboarding, remembered.Status);
            Assert.True(await _store.TryBeginCreateAsync("prod", "firsttime", remembered, "onboard-prod-firsttime", "v1", TimeSpan.FromSeconds(40)));
        }
    }

    [Fact]
    public async Task RememberWrittenRecord_AfterEachMarkOfARun_EqualsTheStoredRecordInEveryColumn()
    {
        // An earlier onboarding left columns this run does not write: the snapshot must carry them too.
        await _store.MarkOnboardingAsync(Run("again"));
        await _store.MarkConnectedAsync(Run("again"), new ConnectedAccount("conn-1", "\"e1\"", "v1", ConnectionAction.Created, true, 1, "old warning", null) { AdobeCanList = true });

        using (_store.RememberWrittenRecord())
        {
            await _store.MarkOnboardingAsync(Run("again"));
            AccountRecord afterOnboarding = (await _store.GetAsync("prod", "again"))!;
            await AssertSameAsStoredAsync(afterOnboarding);

            Assert.True(await _store.TryBeginCreateAsync("prod", "again", afterOnboarding, "onboard-prod-again", "v2", TimeSpan.FromSeconds(40)));
            AccountRecord afterMark = (await _store.GetAsync("prod", "again"))!;
            await AssertSameAsStoredAsync(afterMark);
            Assert.True(afterMark.CreatePending);

            await _store.MarkConnectedAsync(Run("again"), new ConnectedAccount("conn-2", "\"e2\"", "v2", ConnectionAction.Created, null, 2, null, null) { CreatedClient = "sim-client-id", KeySent = true });
            AccountRecord afterConnected = (await _store.GetAsync("prod", "again"))!;
            await AssertSameAsStoredAsync(afterConnected);
            Assert.Equal("conn-2", afterConnected.ConnectionId);
            Assert.False(afterConnected.CreatePending);
            Assert.Equal("sim-client-id", afterConnected.ConnectionCreatedClient);
        }
    }

    [Fact]
    public async Task RememberWrittenRecord_SomeoneWritesBetweenTwoMarks_TheNextMarkReadsAgainAndKeepsTheirChange()
    {
        await _store.MarkOnboardingAsync(Run("raced"));
        using (_store.RememberWrittenRecord())
        {
            await _store.MarkOnboardingAsync(Run("raced"));

            // A registration change (a PUT) lands between the run's two marks: a newer revision.
            TableEntity newer = new("prod", "raced") { [nameof(AccountRecord.RegistrationRevision)] = 7L, [nameof(AccountRecord.ConnectionName)] = "renamed" };
            await _table.UpdateEntityAsync(newer, ETag.All, TableUpdateMode.Merge);

            OnboardingStatus written = await _store.MarkConnectedAsync(Run("raced") with { RegistrationRevision = 3 }, new ConnectedAccount("conn-3", "\"e3\"", "v3", ConnectionAction.Created, true, 1, null, null) { CreatedClient = "sim-client-id", KeySent = true });

            // The snapshot's ETag no longer matches: the mark read again, saw the newer registration and did not overwrite it.
            Assert.Equal(OnboardingStatus.Pending, written);
        }

        TableEntity stored = await RawAsync("raced");
        Assert.Equal("renamed", stored.GetString(nameof(AccountRecord.ConnectionName)));
        Assert.Equal("conn-3", stored.GetString(nameof(AccountRecord.ConnectionId)));
        Assert.Equal(false, stored.GetBoolean(nameof(AccountRecord.CreatePending)));
    }

    private async Task AssertSameAsStoredAsync(AccountRecord remembered)
    {
        AccountRecord stored = (await _table.GetEntityAsync<AccountRecord>(remembered.PartitionKey, remembered.RowKey)).Value;
        Assert.Equal(stored.ETag, remembered.ETag);
        foreach (PropertyInfo column in typeof(AccountRecord).GetProperties().Where(p => p.Name is not (nameof(AccountRecord.Timestamp) or nameof(AccountRecord.ETag))))
        {
            Assert.True(Equals(column.GetValue(stored), column.GetValue(remembered)), $"{column.Name}: stored {column.GetValue(stored)}, remembered {column.GetValue(remembered)}");
        }
    }

    [Fact]
    public async Task MarkConnected_WritesTheColumnsAndValuesExistingTablesHold()
    {
        await _store.MarkOnboardingAsync(Run());
        await _store.MarkConnectedAsync(Run(), new ConnectedAccount("conn-1", "\"etag-1\"", "v1", ConnectionAction.Created, true, 2, null, null));

        TableEntity raw = await RawAsync();
        Assert.Equal("Connected", raw.GetString("Status"));
        Assert.Equal("ConnectionCreated", raw.GetString("LastAction"));
        Assert.Equal("conn-1", raw.GetString("ConnectionId"));
        Assert.Equal("\"etag-1\"", raw.GetString("ConnectionEtag"));
        Assert.Equal("v1", raw.GetString("SecretVersion"));
        Assert.Equal("", raw.GetString("RequestedSecretVersion"));
        Assert.Equal("", raw.GetString("Warning"));
        Assert.Equal("", raw.GetString("ErrorCode"));
        Assert.Equal("Sweep", raw.GetString("LastTrigger"));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", raw.GetString("TraceId"));
        Assert.Equal(0, raw.GetInt32("ConsecutiveFailures"));
        Assert.Equal(2, raw.GetInt32("AttemptCount"));
        Assert.Equal(_time.GetUtcNow(), raw.GetDateTimeOffset("CreatedAt"));
        // The typed record reads the same row.
        Assert.Equal(OnboardingStatus.Connected, (await _store.GetAsync("prod", "storeacct"))!.Status);
    }

    [Fact]
    public async Task GetAsync_RowWrittenBeforeTheTypedStatus_ReadsItsStatus()
    {
        await _table.CreateIfNotExistsAsync();
        await _table.AddEntityAsync(new TableEntity("prod", "oldrow") { ["Status"] = "Failed", ["ErrorTransient"] = true });

        AccountRecord record = (await _store.GetAsync("prod", "oldrow"))!;

        Assert.Equal(OnboardingStatus.Failed, record.Status);
        Assert.True(record.ErrorTransient);
    }

    [Fact]
    public async Task MarkFailed_TwiceInARow_SweepBackoffDoubles()
    {
        AccountFailure failure = new("1103-503", "Create connection failed (503)", IsTransient: true, AttemptCount: 5);

        await _store.MarkFailedAsync(Run(), failure);
        AccountRecord first = (await _store.GetAsync("prod", "storeacct"))!;
        await _store.MarkFailedAsync(Run(), failure);
        AccountRecord second = (await _store.GetAsync("prod", "storeacct"))!;
        await _store.MarkConnectedAsync(Run(), new ConnectedAccount("conn-1", "\"e\"", "v1", ConnectionAction.Created, null, 1, null, null));

        Assert.Equal((1, _time.GetUtcNow() + TimeSpan.FromMinutes(1)), (first.ConsecutiveFailures, first.NextAttemptAt));
        Assert.Equal((2, _time.GetUtcNow() + TimeSpan.FromMinutes(2)), (second.ConsecutiveFailures, second.NextAttemptAt));
        Assert.Equal("1103-503", second.ErrorCode);
        Assert.Equal(0, (await _store.GetAsync("prod", "storeacct"))!.ConsecutiveFailures);
    }

    [Fact]
    public async Task Marks_MergeOnlyTheirColumns_OtherFeaturesFieldsKept()
    {
        await _table.CreateIfNotExistsAsync();
        await _table.AddEntityAsync(new TableEntity("prod", "storeacct") { ["Status"] = "Connected", ["ConnectionId"] = "conn-1", ["SomeOtherFeature"] = "kept" });
        await _store.FlagNearExpiryAsync("prod", "storeacct");

        await _store.MarkOffboardingAsync("prod", "storeacct", "offboard-prod-storeacct");
        await _store.MarkOffboardedAsync("prod", "storeacct", "offboard-prod-storeacct", DeletionAction.Deleted);

        TableEntity raw = await RawAsync();
        Assert.Equal("Offboarded", raw.GetString("Status"));
        Assert.Equal("ConnectionDeleted", raw.GetString("LastAction"));
        Assert.Equal("kept", raw.GetString("SomeOtherFeature"));
        Assert.Equal("conn-1", raw.GetString("ConnectionId"));
        Assert.True(raw.GetBoolean("SecretNearExpiry"));
    }

    [Fact]
    public async Task TryBeginCreate_RecordChangedSinceRead_RefusedAndEndCreateKeepsThePendingMark()
    {
        await _store.MarkOnboardingAsync(Run());
        AccountRecord seen = (await _store.GetAsync("prod", "storeacct"))!;
        await _store.FlagNearExpiryAsync("prod", "storeacct");

        bool stale = await _store.TryBeginCreateAsync("prod", "storeacct", seen, "onboard-prod-storeacct", "v1", TimeSpan.FromSeconds(30));
        bool fresh = await _store.TryBeginCreateAsync("prod", "storeacct", await _store.GetAsync("prod", "storeacct"), "onboard-prod-storeacct", "v1", TimeSpan.FromSeconds(30));
        await _store.EndCreateAsync("prod", "storeacct", mayHaveCreated: true);

        Assert.False(stale);
        Assert.True(fresh);
        AccountRecord record = (await _store.GetAsync("prod", "storeacct"))!;
        Assert.True(record.CreatePending);
        Assert.Equal(DateTimeOffset.UnixEpoch, record.CreateLeaseUntil);
        Assert.Equal("v1", record.CreateSecretVersion);
    }

    [Fact]
    public async Task EndUnsentCreate_AnEarlierCreatePending_ItsMarkAndVersionComeBackAndTheLeaseEnds()
    {
        // v1's create lost its answer (pending, lease over); the next attempt marks a create of v2 and hands it over
        // before the POST: the record must again say v1's create may exist, not that a create of v2 might.
        await _store.MarkOnboardingAsync(Run());
        Assert.True(await _store.TryBeginCreateAsync("prod", "storeacct", await _store.GetAsync("prod", "storeacct"), "onboard-prod-storeacct", "v1", TimeSpan.FromSeconds(30)));
        await _store.EndCreateAsync("prod", "storeacct", mayHaveCreated: true);
        AccountRecord before = (await _store.GetAsync("prod", "storeacct"))!;
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await _store.TryBeginCreateAsync("prod", "storeacct", before, "onboard-prod-storeacct", "v2", TimeSpan.FromSeconds(30)));

        await _store.EndUnsentCreateAsync("prod", "storeacct", before);

        AccountRecord record = (await _store.GetAsync("prod", "storeacct"))!;
        Assert.True(record.CreatePending);
        Assert.Equal("v1", record.CreateSecretVersion);
        Assert.Equal(before.CreateAttemptedAt, record.CreateAttemptedAt);
        Assert.Equal(DateTimeOffset.UnixEpoch, record.CreateLeaseUntil);
    }

    [Fact]
    public async Task EndUnsentCreate_NoEarlierCreate_NothingPendingAndTheLeaseEnds()
    {
        await _store.MarkOnboardingAsync(Run());
        AccountRecord before = (await _store.GetAsync("prod", "storeacct"))!;
        Assert.True(await _store.TryBeginCreateAsync("prod", "storeacct", before, "onboard-prod-storeacct", "v1", TimeSpan.FromSeconds(30)));

        await _store.EndUnsentCreateAsync("prod", "storeacct", before);

        AccountRecord record = (await _store.GetAsync("prod", "storeacct"))!;
        Assert.False(record.CreatePending);
        Assert.Equal(DateTimeOffset.UnixEpoch, record.CreateLeaseUntil);
    }
}
