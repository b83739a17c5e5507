using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Preflight;
using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Telemetry;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Storage;

/// <summary>
/// Reads and writes account records; each write is named for what it records. Every write is a merge of the columns
/// it owns, so one feature never erases another's. Column names are the <see cref="AccountRecord"/> property names and
/// the values are what existing tables hold, so neither ever changes. Failures of Table Storage are
/// <see cref="AccountStoreException"/>s.
/// </summary>
public sealed class AccountRecordStore(TableClient table, IOptions<SweepOptions> sweepOptions, TimeProvider time)
{
    private const string StatusColumn = nameof(AccountRecord.Status);

    private Task? _ensureTable;

    private static readonly AsyncLocal<RunSnapshot?> Snapshots = new();

    /// <summary>
    /// Read-your-write for one activity run (dispose at its end): after a conditional write (a mark, the write-ahead
    /// mark) or a create of the record, the next <see cref="GetAsync"/> of that account on this async flow is answered
    /// with the record as that write left it (what was read, with what was written merged in) and the ETag the write
    /// returned, instead of a second request. Every write that follows is conditional on that ETag, so it still fails
    /// (and reads again) if anyone changed the record since; an unconditional merge forgets the snapshot.
    /// </summary>
    public IDisposable RememberWrittenRecord()
    {
        RunSnapshot snapshot = new(Snapshots.Value);
        Snapshots.Value = snapshot;
        return snapshot;
    }

    /// <summary>The record, or null when the account is unknown.</summary>
    public Task<AccountRecord?> GetAsync(string sandbox, string accountName, CancellationToken cancellationToken = default) =>
        Snapshots.Value?.Take(sandbox, accountName) is { } written ? Task.FromResult<AccountRecord?>(written) : CallAsync(async () =>
        {
            NullableResponse<AccountRecord> response = await table.GetEntityIfExistsAsync<AccountRecord>(sandbox, accountName, cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.HasValue ? response.Value : null;
        }, cancellationToken);

    /// <summary>
    /// An onboarding has started: the record takes its request (creating the record if needed), unless the registration
    /// changed after the run took its input (<see cref="WriteRunAsync"/>).
    /// </summary>
    /// <param name="likelyNew">
    /// The record most likely does not exist yet (the first attempt of an onboarding started over the API): add it
    /// without reading first, and read only if the add is refused because it exists. Saves one request per first
    /// onboarding; costs one (the refused add) when the guess is wrong.
    /// </param>
    public Task<OnboardingStatus> MarkOnboardingAsync(OnboardingRun run, bool likelyNew = false, CancellationToken cancellationToken = default) =>
        WriteRunAsync(run, OnboardingStatus.Onboarding, "OnboardingStarted", connectionFacts: null, outcome: null, cancellationToken, addFirst: likelyNew);

    /// <summary>
    /// An onboarding has ended connected: the ids, the key version Adobe holds, no error, no failures in a row. The
    /// connection is recorded even when the registration changed meanwhile (<see cref="WriteRunAsync"/>).
    /// </summary>
    public Task<OnboardingStatus> MarkConnectedAsync(OnboardingRun run, ConnectedAccount connected, CancellationToken cancellationToken = default) =>
        WriteRunAsync(
            run,
            OnboardingStatus.Connected,
            $"Connection{connected.Action}",
            connectionFacts: entity =>
            {
                entity[nameof(AccountRecord.SecretVersion)] = connected.SecretVersion;
                entity[nameof(AccountRecord.ConnectionId)] = connected.ConnectionId;
                entity[nameof(AccountRecord.ConnectionEtag)] = connected.ConnectionEtag;
                Set(entity, nameof(AccountRecord.CredentialTestPassed), connected.CredentialTestPassed);
                Set(entity, nameof(AccountRecord.RotatedAt), connected.RotatedAt);
                Set(entity, nameof(AccountRecord.AdobeCanList), connected.AdobeCanList);
                if (connected.CreatedClient is not null)
                {
                    SetConnectionRecorded(entity, connected.CreatedClient, connected.KeySent);
                }

                // The version Adobe now holds was sent: no rotation is held any more.
                entity[nameof(AccountRecord.PendingSecretVersion)] = "";
            },
            outcome: (entity, _) =>
            {
                entity[nameof(AccountRecord.AttemptCount)] = connected.AttemptCount;
                entity[nameof(AccountRecord.Warning)] = connected.Warning ?? "";
                entity[nameof(AccountRecord.ConsecutiveFailures)] = 0;
                entity[nameof(AccountRecord.ErrorTransient)] = false;
                ClearError(entity);
            },
            cancellationToken);

    /// <summary>
    /// An onboarding has failed: the cause, and when the registry sweep may try again (transient causes only, with a
    /// backoff that doubles with each failure in a row, <see cref="SweepOptions.BackoffAfter"/>). A failure of a run
    /// whose registration has changed since is not recorded as the account's (<see cref="WriteRunAsync"/>).
    /// </summary>
    public Task<OnboardingStatus> MarkFailedAsync(OnboardingRun run, AccountFailure failure, CancellationToken cancellationToken = default) =>
        WriteRunAsync(
            run,
            OnboardingStatus.Failed,
            "OnboardingFailed",
            connectionFacts: null,
            outcome: (entity, current) =>
            {
                Set(entity, nameof(AccountRecord.AttemptCount), failure.AttemptCount);
                entity[nameof(AccountRecord.ErrorCode)] = failure.Code;
                entity[nameof(AccountRecord.ErrorMessage)] = failure.Message;
                entity[nameof(AccountRecord.ErrorTransient)] = failure.IsTransient;
                AddFailureInARow(entity, current);
            },
            cancellationToken);

    /// <summary>
    /// A key rotation did not send its new version: if the account has a connection with a key Adobe holds, the record
    /// stays <c>Connected</c> with that version, a warning naming the version not sent, and when the sweep may try
    /// again (the version's <c>nbf</c> when it is staged; after a backoff when the pre-flight refused it; else as soon
    /// as it is usable). Null, and nothing written, when there is no such connection (the caller records a failure).
    /// </summary>
    public async Task<HeldRotation?> HoldRotationAsync(OnboardingRun run, RotationHold hold, CancellationToken cancellationToken = default)
    {
        AccountRecord? current = await GetAsync(run.Registration.Sandbox, run.Registration.AccountName, cancellationToken).ConfigureAwait(false);
        if (current is null || string.IsNullOrEmpty(current.ConnectionId) || string.IsNullOrEmpty(current.SecretVersion) || current.CreatePending == true)
        {
            return null;
        }

        DateTimeOffset now = time.GetUtcNow();
        bool refused = hold.Code.StartsWith("Preflight", StringComparison.Ordinal);
        int holds = (current.ConsecutiveFailures ?? 0) + 1;
        DateTimeOffset nextAttempt = hold.PendingNotBefore is { } notBefore && notBefore > now ? notBefore
            : refused ? now + sweepOptions.Value.BackoffAfter(holds)
            : now;
        string pending = hold.PendingVersion ?? "(unknown)";
        string warning = refused
            ? $"{PreflightWarningCodes.RotationRefused} ({hold.Code}): the new key version {pending} failed the pre-flight and was not sent to Adobe, which keeps version {current.SecretVersion} (it works until it expires). {hold.Message}"
            : $"{PreflightWarningCodes.RotationPending} ({hold.Code}): the new key version {pending} is not usable yet and was not sent to Adobe, which keeps version {current.SecretVersion}; the sweep sends it from {nextAttempt:O} once it is usable. {hold.Message}";

        // Like every mark of a run: a registration changed since the run took its input is left alone (superseded).
        await WriteRunAsync(
            run,
            OnboardingStatus.Connected,
            "RotationHeld",
            connectionFacts: null,
            outcome: (entity, _) =>
            {
                entity[nameof(AccountRecord.Warning)] = warning;
                entity[nameof(AccountRecord.PendingSecretVersion)] = hold.PendingVersion ?? "";
                entity[nameof(AccountRecord.NextAttemptAt)] = nextAttempt;
                entity[nameof(AccountRecord.ConsecutiveFailures)] = holds;
                entity[nameof(AccountRecord.ErrorTransient)] = false;
                ClearError(entity);
            },
            cancellationToken).ConfigureAwait(false);
        return new HeldRotation(current.ConnectionId, current.ConnectionEtag ?? "", current.SecretVersion, warning, nextAttempt);
    }

    /// <summary>The last action of a record a <c>PUT</c> created.</summary>
    public const string RegisteredAction = "Registered";

    /// <summary>The last action of a record a <c>PUT</c> changed.</summary>
    public const string RegistrationChangedAction = "RegistrationChanged";

    /// <summary>What an onboarding's marks record when the registration changed after the run took its input.</summary>
    public const string RegistrationSupersededAction = "RegistrationSuperseded";

    /// <summary>
    /// The sweep found a stored registration that does not pass today's rules (<paramref name="reason"/> says which):
    /// it is not started. An account with a connection keeps its status (the connection is never touched for this);
    /// any other becomes <c>Failed</c> for good. Either way the record shows <see cref="AccountErrorCodes.InvalidRegistration"/>
    /// until the account is registered again. Written only if the record is still <paramref name="seen"/> (a PUT that
    /// fixed it meanwhile wins); false otherwise.
    /// </summary>
    public Task<bool> TryMarkRegistrationInvalidAsync(AccountRecord seen, string reason, CancellationToken cancellationToken = default)
    {
        bool keepsConnection = seen.Status == OnboardingStatus.Connected;
        TableEntity entity = keepsConnection
            ? new TableEntity(seen.PartitionKey, seen.RowKey) { [nameof(AccountRecord.LastAction)] = "RegistrationInvalid" }
            : Entity(seen.PartitionKey, seen.RowKey, OnboardingStatus.Failed, "SweepSkipped");
        entity[nameof(AccountRecord.ErrorCode)] = AccountErrorCodes.InvalidRegistration;
        entity[nameof(AccountRecord.ErrorMessage)] = reason;
        entity[nameof(AccountRecord.ErrorTransient)] = false;
        return TryUpdateAsync(entity, seen, cancellationToken);
    }

    /// <summary>
    /// An operator terminated the account's onboarding (<paramref name="instanceId"/>): <c>Failed</c> with
    /// <see cref="AccountErrorCodes.OnboardingTerminated"/>, not retried, until the account is registered again.
    /// Written only if the record is still <paramref name="seen"/>.
    /// </summary>
    public Task<bool> TryMarkOnboardingTerminatedAsync(AccountRecord seen, string instanceId, CancellationToken cancellationToken = default)
    {
        TableEntity entity = Entity(seen.PartitionKey, seen.RowKey, OnboardingStatus.Failed, "OnboardingTerminated");
        entity[nameof(AccountRecord.InstanceId)] = instanceId;
        entity[nameof(AccountRecord.ErrorCode)] = AccountErrorCodes.OnboardingTerminated;
        entity[nameof(AccountRecord.ErrorMessage)] = $"The onboarding {instanceId} was terminated by an operator; it is not started again until the account is registered again (PUT), or offboarded (DELETE).";
        entity[nameof(AccountRecord.ErrorTransient)] = false;
        return TryUpdateAsync(entity, seen, cancellationToken);
    }

    /// <summary>A connected account whose current key version cannot be used: still connected (Adobe keeps its key), with the reason.</summary>
    public Task<bool> TryMarkConnectedKeyUnavailableAsync(AccountRecord seen, string errorCode, string message, CancellationToken cancellationToken = default) =>
        TryUpdateAsync(
            new TableEntity(seen.PartitionKey, seen.RowKey)
            {
                [nameof(AccountRecord.ErrorCode)] = errorCode,
                [nameof(AccountRecord.ErrorMessage)] = message,
                [nameof(AccountRecord.ErrorTransient)] = false,
            },
            seen,
            cancellationToken);

    /// <summary>Clears the error a sweep showed on a connected account once its cause is gone.</summary>
    public Task<bool> TryClearConnectedErrorAsync(AccountRecord seen, CancellationToken cancellationToken = default)
    {
        TableEntity entity = new(seen.PartitionKey, seen.RowKey);
        ClearError(entity);
        return TryUpdateAsync(entity, seen, cancellationToken);
    }

    /// <summary>Registers a new account (<c>Pending</c>, registration revision 1); false when the account already has a record.</summary>
    public Task<bool> TryRegisterAsync(AccountRegistration registration, CancellationToken cancellationToken = default) =>
        CallAsync(async () =>
        {
            DateTimeOffset now = time.GetUtcNow();
            TableEntity entity = RegistrationEntity(registration, RegisteredAction, now, revision: 1);
            entity[nameof(AccountRecord.CreatedAt)] = now;
            Snapshots.Value?.Forget();
            try
            {
                await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                return false;
            }
        }, cancellationToken);

    /// <summary>
    /// Changes a registration (<c>Pending</c> again, error and failures in a row cleared, the next registration
    /// revision) only if the record is unchanged since <paramref name="seen"/> was read; false when it changed meanwhile.
    /// </summary>
    public Task<bool> TryChangeRegistrationAsync(AccountRegistration registration, AccountRecord seen, CancellationToken cancellationToken = default)
    {
        TableEntity entity = RegistrationEntity(registration, RegistrationChangedAction, time.GetUtcNow(), (seen.RegistrationRevision ?? 0) + 1);
        entity[nameof(AccountRecord.ErrorTransient)] = false;
        entity[nameof(AccountRecord.ConsecutiveFailures)] = 0;
        ClearError(entity);
        return TryUpdateAsync(entity, seen, cancellationToken);
    }

    /// <summary>
    /// An offboarding has started. The status the account had before is kept (once: a repeated offboarding of an
    /// account still marked <c>Offboarding</c> keeps the first one's), so that a refusal restores what was true.
    /// </summary>
    public Task MarkOffboardingAsync(string sandbox, string accountName, string instanceId, CancellationToken cancellationToken = default) =>
        ReadModifyWriteAsync(sandbox, accountName, current =>
        {
            TableEntity entity = Entity(sandbox, accountName, OnboardingStatus.Offboarding, "OffboardingStarted");
            entity[nameof(AccountRecord.InstanceId)] = instanceId;
            if (current?.Status is not OnboardingStatus.Offboarding)
            {
                entity[nameof(AccountRecord.StatusBeforeOffboarding)] = (current?.Status ?? OnboardingStatus.Pending).ToString();
            }

            return entity;
        }, cancellationToken);

    /// <summary>An offboarding has removed the connection (or found none): the record stays, for audit.</summary>
    public Task MarkOffboardedAsync(string sandbox, string accountName, string instanceId, DeletionAction deletion, CancellationToken cancellationToken = default)
    {
        TableEntity entity = Entity(sandbox, accountName, OnboardingStatus.Offboarded, $"Connection{deletion}");
        entity[nameof(AccountRecord.InstanceId)] = instanceId;
        entity[nameof(AccountRecord.ErrorTransient)] = false;
        ClearError(entity);
        return UpsertAsync(entity, cancellationToken);
    }

    /// <summary>
    /// Adobe refused the offboarding: the status the account had before the offboarding began comes back (as
    /// <see cref="MarkOffboardingAsync"/> kept it; <paramref name="fallback"/> only for a record that has none), with
    /// Adobe's reason.
    /// </summary>
    public Task MarkOffboardingRefusedAsync(string sandbox, string accountName, string instanceId, OnboardingStatus fallback, string errorCode, string errorMessage, CancellationToken cancellationToken = default) =>
        ReadModifyWriteAsync(sandbox, accountName, current =>
        {
            OnboardingStatus restored = current?.StatusBeforeOffboarding is { } before && before != OnboardingStatus.Offboarding ? before : fallback;
            TableEntity entity = Entity(sandbox, accountName, restored, "OffboardingRefused");
            entity[nameof(AccountRecord.InstanceId)] = instanceId;
            entity[nameof(AccountRecord.ErrorCode)] = errorCode;
            entity[nameof(AccountRecord.ErrorMessage)] = errorMessage;
            entity[nameof(AccountRecord.ErrorTransient)] = false;
            if (restored == OnboardingStatus.Failed)
            {
                AddFailureInARow(entity, current);
            }
            else if (restored == OnboardingStatus.Connected)
            {
                entity[nameof(AccountRecord.ConsecutiveFailures)] = 0;
            }

            return entity;
        }, cancellationToken);

    /// <summary>
    /// Sets the write-ahead mark before a create, only if the record is unchanged since <paramref name="seen"/> was
    /// read (or still absent). False when another attempt got there first.
    /// </summary>
    public Task<bool> TryBeginCreateAsync(string sandbox, string accountName, AccountRecord? seen, string instanceId, string secretVersion, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = time.GetUtcNow();
        TableEntity mark = new(sandbox, accountName)
        {
            [nameof(AccountRecord.InstanceId)] = instanceId,
            [nameof(AccountRecord.UpdatedAt)] = now,
        };
        SetCreateMark(mark, secretVersion, now + lease, now);
        return TryWriteAsync(mark, seen, cancellationToken);
    }

    /// <summary>
    /// Records a connection the moment it is known (with Adobe's <c>createdClient</c> of it, checked before every later
    /// PATCH or DELETE), and clears the write-ahead mark.
    /// </summary>
    public Task RecordConnectionAsync(string sandbox, string accountName, string connectionId, string etag, string createdClient, string secretVersion, bool keySent, CancellationToken cancellationToken = default)
    {
        TableEntity entity = new(sandbox, accountName)
        {
            [nameof(AccountRecord.ConnectionId)] = connectionId,
            [nameof(AccountRecord.ConnectionEtag)] = etag,
            [nameof(AccountRecord.SecretVersion)] = secretVersion,
            [nameof(AccountRecord.UpdatedAt)] = time.GetUtcNow(),
        };
        SetConnectionRecorded(entity, createdClient, keySent);
        return MergeAsync(entity, cancellationToken);
    }

    /// <summary>The connection is known (with its creator) and the write-ahead mark is over.</summary>
    private static void SetConnectionRecorded(TableEntity entity, string createdClient, bool keySent)
    {
        entity[nameof(AccountRecord.ConnectionCreatedClient)] = createdClient;
        entity[nameof(AccountRecord.CreatePending)] = false;
        entity[nameof(AccountRecord.CreateLeaseUntil)] = DateTimeOffset.UnixEpoch;
        if (keySent)
        {
            // Adobe holds this key version now: a near-expiry warning about an older one no longer applies.
            entity[nameof(AccountRecord.SecretNearExpiry)] = false;
        }
    }

    /// <summary>
    /// Ends a create attempt that got an answer or gave up: the lease is released; the mark stays pending when the
    /// POST may have been carried out (<paramref name="mayHaveCreated"/>), so the next attempt looks up first.
    /// </summary>
    public Task EndCreateAsync(string sandbox, string accountName, bool mayHaveCreated, CancellationToken cancellationToken = default) =>
        MergeAsync(
            new TableEntity(sandbox, accountName)
            {
                [nameof(AccountRecord.CreatePending)] = mayHaveCreated,
                [nameof(AccountRecord.CreateLeaseUntil)] = DateTimeOffset.UnixEpoch,
                [nameof(AccountRecord.UpdatedAt)] = time.GetUtcNow(),
            },
            cancellationToken);

    /// <summary>
    /// Takes back a write-ahead mark whose create was never sent (handed over before the POST): the lease ends, and the
    /// mark is what it was before <see cref="TryBeginCreateAsync"/>: an earlier create that may have succeeded stays
    /// pending with the key version it carried, so its result is still looked up and not taken for this version's.
    /// </summary>
    public Task EndUnsentCreateAsync(string sandbox, string accountName, AccountRecord? before, CancellationToken cancellationToken = default)
    {
        TableEntity entity = new(sandbox, accountName)
        {
            [nameof(AccountRecord.CreatePending)] = before?.CreatePending == true,
            [nameof(AccountRecord.CreateLeaseUntil)] = DateTimeOffset.UnixEpoch,
            [nameof(AccountRecord.UpdatedAt)] = time.GetUtcNow(),
        };
        if (before is { CreatePending: true })
        {
            entity[nameof(AccountRecord.CreateSecretVersion)] = before.CreateSecretVersion;
            entity[nameof(AccountRecord.CreateAttemptedAt)] = before.CreateAttemptedAt;
        }

        return MergeAsync(entity, cancellationToken);
    }

    /// <summary>Marks the record's key as expiring soon (cleared when a new version reaches Adobe).</summary>
    public Task FlagNearExpiryAsync(string sandbox, string accountName, CancellationToken cancellationToken = default) =>
        MergeAsync(new TableEntity(sandbox, accountName) { [nameof(AccountRecord.SecretNearExpiry)] = true, [nameof(AccountRecord.UpdatedAt)] = time.GetUtcNow() }, cancellationToken);

    /// <summary>One page of records, filtered by sandbox and status (values escaped by the SDK, never concatenated).</summary>
    public Task<(IReadOnlyList<AccountRecord> Items, string? ContinuationToken)> ListAsync(string? sandbox, OnboardingStatus? status, string? continuationToken, int pageSize, CancellationToken cancellationToken = default) =>
        CallAsync<(IReadOnlyList<AccountRecord>, string?)>(async () =>
        {
            List<string> filters = [];
            if (sandbox is not null)
            {
                filters.Add(TableClient.CreateQueryFilter($"PartitionKey eq {sandbox}"));
            }

            if (status is not null)
            {
                filters.Add($"{StatusColumn} eq {Literal(status.Value.ToString())}");
            }

            string? filter = filters.Count == 0 ? null : string.Join(" and ", filters);
            await foreach (Page<AccountRecord> page in table.QueryAsync<AccountRecord>(filter, pageSize, cancellationToken: cancellationToken).AsPages(continuationToken, pageSize).ConfigureAwait(false))
            {
                return (page.Values, page.ContinuationToken);
            }

            return ([], null);
        }, cancellationToken);

    /// <summary>
    /// Records the sweep should act on: registered and not yet onboarded, failed for a transient cause and due
    /// again, or still marked onboarding long after their last update.
    /// </summary>
    public IAsyncEnumerable<AccountRecord> QueryDueAsync(DateTimeOffset now, DateTimeOffset staleBefore, CancellationToken cancellationToken = default)
    {
        string pending = nameof(OnboardingStatus.Pending), failed = nameof(OnboardingStatus.Failed), onboarding = nameof(OnboardingStatus.Onboarding);
        return QueryAsync(
            $"{StatusColumn} eq {Literal(pending)} or ({StatusColumn} eq {Literal(failed)} and {nameof(AccountRecord.ErrorTransient)} eq {Literal(true)} and {nameof(AccountRecord.NextAttemptAt)} le {Literal(now)}) or ({StatusColumn} eq {Literal(onboarding)} and {nameof(AccountRecord.UpdatedAt)} le {Literal(staleBefore)})",
            cancellationToken);
    }

    /// <summary>
    /// Every record whose key is the given Key Vault secret (across sandboxes). Key Vault compares names without regard
    /// to case and registrations store them in lower case, so the name is looked up in lower case whatever case an
    /// event spells it in.
    /// </summary>
    public IAsyncEnumerable<AccountRecord> QueryBySecretAsync(string secretName, CancellationToken cancellationToken = default) =>
        QueryAsync($"{nameof(AccountRecord.SecretName)} eq {Literal(secretName.ToLowerInvariant())}", cancellationToken);

    /// <summary>Every connected record (the sweep compares their key versions with Key Vault's).</summary>
    public IAsyncEnumerable<AccountRecord> QueryConnectedAsync(CancellationToken cancellationToken = default) =>
        QueryAsync($"{StatusColumn} eq {Literal(nameof(OnboardingStatus.Connected))}", cancellationToken);

    private Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        // Created once per process; a failed attempt is retried by the next call.
        Task ensure = _ensureTable ??= table.CreateIfNotExistsAsync(cancellationToken);
        if (ensure.IsFaulted || ensure.IsCanceled)
        {
            _ensureTable = null;
        }

        return ensure;
    }

    private static TableEntity Entity(string sandbox, string accountName, OnboardingStatus status, string lastAction) => new(sandbox, accountName)
    {
        [nameof(AccountRecord.Status)] = status.ToString(),
        [nameof(AccountRecord.LastAction)] = lastAction,
    };

    private static TableEntity RegistrationEntity(AccountRegistration registration, string lastAction, DateTimeOffset now, long revision)
    {
        TableEntity entity = Entity(registration.Sandbox, registration.AccountName, OnboardingStatus.Pending, lastAction);
        entity[nameof(AccountRecord.UpdatedAt)] = now;
        entity[nameof(AccountRecord.RegistrationRevision)] = revision;
        SetRegistration(entity, registration);
        return entity;
    }

    private static void SetRegistration(TableEntity entity, AccountRegistration registration)
    {
        entity[nameof(AccountRecord.StorageAccountUrl)] = registration.StorageAccountUrl;
        entity[nameof(AccountRecord.ClientId)] = registration.ClientId;
        entity[nameof(AccountRecord.Tenant)] = registration.Tenant;
        entity[nameof(AccountRecord.SecretName)] = registration.SecretName;
        entity[nameof(AccountRecord.ConnectionName)] = registration.ConnectionName;
        entity[nameof(AccountRecord.Description)] = registration.Description;
        // Empty: the current version at each onboarding (a merge cannot remove a pinned version).
        entity[nameof(AccountRecord.RequestedSecretVersion)] = registration.RequestedSecretVersion ?? "";
        entity[nameof(AccountRecord.RegistrationFingerprint)] = registration.Fingerprint;
        entity[nameof(AccountRecord.AdoptConnectionId)] = registration.AdoptConnectionId ?? "";
    }

    // A merge cannot delete a property; an empty value stands for "no error".
    private static void ClearError(TableEntity entity)
    {
        entity[nameof(AccountRecord.ErrorCode)] = "";
        entity[nameof(AccountRecord.ErrorMessage)] = "";
    }

    private static void Set(TableEntity entity, string key, object? value)
    {
        if (value is not null)
        {
            entity[key] = value;
        }
    }

    /// <summary>The write-ahead mark: a create may be under way until <paramref name="leaseUntil"/>, sending this key version.</summary>
    private static void SetCreateMark(TableEntity entity, string secretVersion, DateTimeOffset leaseUntil, DateTimeOffset now)
    {
        entity[nameof(AccountRecord.CreatePending)] = true;
        entity[nameof(AccountRecord.CreateLeaseUntil)] = leaseUntil;
        entity[nameof(AccountRecord.CreateAttemptedAt)] = now;
        entity[nameof(AccountRecord.CreateSecretVersion)] = secretVersion;
    }

    /// <summary>
    /// A conditional write: adds the record if <paramref name="seen"/> is null, else merges only if the record is
    /// unchanged since it was read. False when another writer got there first.
    /// </summary>
    private Task<bool> TryWriteAsync(TableEntity entity, AccountRecord? seen, CancellationToken cancellationToken) =>
        CallAsync(async () =>
        {
            Snapshots.Value?.Forget();
            try
            {
                Response written;
                if (seen is null)
                {
                    entity[nameof(AccountRecord.CreatedAt)] = entity[nameof(AccountRecord.UpdatedAt)];
                    written = await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    written = await table.UpdateEntityAsync(entity, seen.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                }

                Snapshots.Value?.Remember(seen, entity, written.Headers.ETag);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                return false;
            }
        }, cancellationToken);

    /// <summary>Merges into the record only if it is unchanged since <paramref name="seen"/> was read; false when it changed.</summary>
    private Task<bool> TryUpdateAsync(TableEntity entity, AccountRecord seen, CancellationToken cancellationToken) =>
        CallAsync(async () =>
        {
            entity[nameof(AccountRecord.UpdatedAt)] = time.GetUtcNow();
            Snapshots.Value?.Forget();
            try
            {
                await table.UpdateEntityAsync(entity, seen.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                return false;
            }
        }, cancellationToken);

    /// <summary>One more failure in a row, and the time before which the sweep leaves the account alone.</summary>
    private void AddFailureInARow(TableEntity entity, AccountRecord? current)
    {
        int failures = (current?.ConsecutiveFailures ?? 0) + 1;
        entity[nameof(AccountRecord.ConsecutiveFailures)] = failures;
        entity[nameof(AccountRecord.NextAttemptAt)] = time.GetUtcNow() + sweepOptions.Value.BackoffAfter(failures);
    }

    /// <summary>
    /// Writes one mark of an onboarding run, conditionally on the record it read, so that it never overwrites a newer
    /// registration. A registration changed (<c>PUT</c>) after the run took its input has a higher
    /// <see cref="AccountRecord.RegistrationRevision"/> than the run's: then the run is <em>superseded</em> and writes
    /// only what is true whatever the registration says (the connection it created or updated, with
    /// <paramref name="connectionFacts"/>, and its instance), leaves the registration fields alone, and leaves the
    /// account <c>Pending</c>, so the sweep onboards the newer registration. Otherwise it writes the registration of
    /// its input, its status and its <paramref name="outcome"/>. A write that loses a race with another writer reads
    /// again and decides again. Returns the status it wrote (<c>Pending</c> for a superseded run), for metrics.
    /// </summary>
    private async Task<OnboardingStatus> WriteRunAsync(
        OnboardingRun run,
        OnboardingStatus status,
        string lastAction,
        Action<TableEntity>? connectionFacts,
        Action<TableEntity, AccountRecord?>? outcome,
        CancellationToken cancellationToken,
        bool addFirst = false)
    {
        AccountRegistration registration = run.Registration;
        OnboardingStatus written = status;
        await ReadModifyWriteAsync(registration.Sandbox, registration.AccountName, current =>
        {
            TableEntity entity = new(registration.Sandbox, registration.AccountName)
            {
                [nameof(AccountRecord.InstanceId)] = run.InstanceId,
                [nameof(AccountRecord.LastTrigger)] = run.Trigger,
            };
            Set(entity, nameof(AccountRecord.TraceId), WorkflowTelemetry.TraceIdOf(run.TraceParent));
            connectionFacts?.Invoke(entity);
            if (current is null)
            {
                entity[nameof(AccountRecord.RegistrationRevision)] = run.RegistrationRevision ?? 0;
            }

            if (run.RegistrationRevision is { } read && (current?.RegistrationRevision ?? 0) > read)
            {
                written = OnboardingStatus.Pending;
                entity[nameof(AccountRecord.Status)] = nameof(OnboardingStatus.Pending);
                entity[nameof(AccountRecord.LastAction)] = RegistrationSupersededAction;
            }
            else
            {
                written = status;
                entity[nameof(AccountRecord.Status)] = status.ToString();
                entity[nameof(AccountRecord.LastAction)] = lastAction;
                SetRegistration(entity, registration);
                outcome?.Invoke(entity, current);
            }

            return entity;
        }, cancellationToken, addFirst).ConfigureAwait(false);
        return written;
    }

    /// <summary>
    /// Reads the record, builds the merge from what it holds, and writes it only if the record is still what was read
    /// (or still absent); a write that loses the race to another writer reads again and builds again. With
    /// <paramref name="addFirst"/> the first try assumes the record is absent and adds it (refused with 409 if it exists,
    /// then read and built again): the add is as conditional as the read-then-add.
    /// </summary>
    private Task ReadModifyWriteAsync(string sandbox, string accountName, Func<AccountRecord?, TableEntity> build, CancellationToken cancellationToken, bool addFirst = false) =>
        CallAsync(async () =>
        {
            for (int attempt = 1; ; attempt++)
            {
                AccountRecord? current = addFirst && attempt == 1 ? null : await GetAsync(sandbox, accountName, cancellationToken).ConfigureAwait(false);
                TableEntity entity = build(current);
                DateTimeOffset now = time.GetUtcNow();
                entity[nameof(AccountRecord.UpdatedAt)] = now;
                try
                {
                    Response written;
                    if (current is null)
                    {
                        entity[nameof(AccountRecord.CreatedAt)] = now;
                        written = await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        written = await table.UpdateEntityAsync(entity, current.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                    }

                    Snapshots.Value?.Remember(current, entity, written.Headers.ETag);
                    return true;
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 20)
                {
                    // Another writer (a PUT, the reconciler's marks) got there first: read again and decide again.
                }
            }
        }, cancellationToken);

    /// <summary>Merges into the record, creating it if needed; only the first write sets <c>CreatedAt</c>.</summary>
    private Task UpsertAsync(TableEntity entity, CancellationToken cancellationToken) =>
        CallAsync(async () =>
        {
            DateTimeOffset now = time.GetUtcNow();
            entity[nameof(AccountRecord.UpdatedAt)] = now;
            RunSnapshot? snapshot = Snapshots.Value;
            snapshot?.Forget();
            try
            {
                entity[nameof(AccountRecord.CreatedAt)] = now;
                Response added = await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                snapshot?.Remember(null, entity, added.Headers.ETag);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                entity.Remove(nameof(AccountRecord.CreatedAt));
                await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);

    /// <summary>The record as this run's last write left it, until it is read once or anything else is written.</summary>
    private sealed class RunSnapshot(RunSnapshot? outer) : IDisposable
    {
        private static readonly PropertyInfo[] Columns = [.. typeof(AccountRecord).GetProperties()
            .Where(p => p.CanWrite && p.Name is not (nameof(ITableEntity.PartitionKey) or nameof(ITableEntity.RowKey) or nameof(ITableEntity.ETag) or nameof(ITableEntity.Timestamp)))];

        private AccountRecord? _record;

        /// <summary>Remembers <paramref name="read"/> (null: the record did not exist) with <paramref name="written"/> merged in.</summary>
        public void Remember(AccountRecord? read, TableEntity written, ETag? etag)
        {
            if (etag is not { } tag)
            {
                _record = null;
                return;
            }

            AccountRecord record = new() { PartitionKey = written.PartitionKey, RowKey = written.RowKey, ETag = tag };
            foreach (PropertyInfo property in Columns)
            {
                if (written.TryGetValue(property.Name, out object? value) && value is not null)
                {
                    property.SetValue(record, ColumnValue(property, value));
                }
                else if (read is not null)
                {
                    property.SetValue(record, property.GetValue(read));
                }
            }

            _record = record;
        }

        private static object ColumnValue(PropertyInfo property, object value)
        {
            Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            return type.IsEnum ? Enum.Parse(type, (string)value)
                : type.IsInstanceOfType(value) ? value
                : Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
        }

        public void Forget() => _record = null;

        public AccountRecord? Take(string sandbox, string accountName)
        {
            AccountRecord? record = _record;
            _record = null;
            return record is not null && record.PartitionKey == sandbox && record.RowKey == accountName ? record : null;
        }

        public void Dispose()
        {
            _record = null;
            if (ReferenceEquals(Snapshots.Value, this))
            {
                Snapshots.Value = outer;
            }
        }
    }

    private Task MergeAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        Snapshots.Value?.Forget();
        return CallAsync(async () => (await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false)).Status, cancellationToken);
    }

    /// <summary>Runs one Table Storage call (after making sure the table exists), failing with <see cref="AccountStoreException"/>.</summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
            return await call().ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            throw new AccountStoreException(ex);
        }
    }

    /// <summary>A value as a filter literal, escaped by the SDK (never concatenated); column names come from <see cref="AccountRecord"/>.</summary>
    private static string Literal(object value) => TableClient.CreateQueryFilter($"{value}");

    private async IAsyncEnumerable<AccountRecord> QueryAsync(string filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await CallAsync(() => Task.FromResult(true), cancellationToken).ConfigureAwait(false);
        await using IAsyncEnumerator<AccountRecord> records = table.QueryAsync<AccountRecord>(filter, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            AccountRecord record;
            try
            {
                if (!await records.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }

                record = records.Current;
            }
            catch (RequestFailedException ex)
            {
                throw new AccountStoreException(ex);
            }

            yield return record;
        }
    }
}
