using AdlsOnboarding.Workflow.Onboarding;
using Azure;
using Azure.Data.Tables;

namespace AdlsOnboarding.Workflow.Storage;

/// <summary>Reads and writes account records. Writes merge, so one feature never erases another's fields.</summary>
public sealed class AccountRecordStore(TableClient table, TimeProvider time)
{
    private Task? _ensureTable;

    /// <summary>The record, or null when the account is unknown.</summary>
    public async Task<AccountRecord?> GetAsync(string sandbox, string accountName, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        NullableResponse<AccountRecord> response = await table.GetEntityIfExistsAsync<AccountRecord>(sandbox, accountName, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Merges the non-null fields of <paramref name="update"/> into the record (creating it if needed).</summary>
    public async Task UpsertAsync(AccountRecordUpdate update, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = time.GetUtcNow();
        TableEntity entity = update.ToEntity(now);
        try
        {
            // Only the first write sets CreatedAt: an insert that fails because the row exists falls back to a merge.
            entity["CreatedAt"] = now;
            await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            entity.Remove("CreatedAt");
            await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sets the write-ahead mark before a create, only if the record is unchanged since <paramref name="seen"/> was
    /// read (or still absent). False when another attempt got there first.
    /// </summary>
    public async Task<bool> TryMarkCreateAttemptedAsync(string sandbox, string accountName, AccountRecord? seen, string instanceId, string secretVersion, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = time.GetUtcNow();
        TableEntity mark = new(sandbox, accountName)
        {
            ["CreatePending"] = true,
            ["CreateLeaseUntil"] = now + lease,
            ["CreateAttemptedAt"] = now,
            ["CreateSecretVersion"] = secretVersion,
            ["InstanceId"] = instanceId,
            ["UpdatedAt"] = now,
        };
        try
        {
            if (seen is null)
            {
                mark["CreatedAt"] = now;
                await table.AddEntityAsync(mark, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await table.UpdateEntityAsync(mark, seen.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>Records a connection the moment it is known, and clears the write-ahead mark.</summary>
    public async Task RecordConnectionAsync(string sandbox, string accountName, string connectionId, string etag, string secretVersion, bool keySent, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        TableEntity entity = new(sandbox, accountName)
        {
            ["ConnectionId"] = connectionId,
            ["ConnectionEtag"] = etag,
            ["SecretVersion"] = secretVersion,
            ["CreatePending"] = false,
            ["CreateLeaseUntil"] = DateTimeOffset.UnixEpoch,
            ["UpdatedAt"] = time.GetUtcNow(),
        };
        if (keySent)
        {
            // Adobe holds this key version now: a near-expiry warning about an older one no longer applies.
            entity["SecretNearExpiry"] = false;
        }

        await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a create attempt that got an answer or gave up: the lease is released; the mark stays pending when the
    /// POST may have been carried out (<paramref name="mayHaveCreated"/>), so the next attempt looks up first.
    /// </summary>
    public async Task ReleaseCreateAttemptAsync(string sandbox, string accountName, bool mayHaveCreated, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        TableEntity entity = new(sandbox, accountName)
        {
            ["CreatePending"] = mayHaveCreated,
            ["CreateLeaseUntil"] = DateTimeOffset.UnixEpoch,
            ["UpdatedAt"] = time.GetUtcNow(),
        };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds a record; false when the account already has one.</summary>
    public async Task<bool> TryAddAsync(AccountRecordUpdate record, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = time.GetUtcNow();
        TableEntity entity = record.ToEntity(now);
        entity["CreatedAt"] = now;
        try
        {
            await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    /// <summary>Merges an update only if the record is unchanged since it was read; false when it changed meanwhile.</summary>
    public async Task<bool> TryMergeAsync(AccountRecordUpdate update, ETag seen, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.UpdateEntityAsync(update.ToEntity(time.GetUtcNow()), seen, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>One page of records, filtered by sandbox and status (values escaped by the SDK, never concatenated).</summary>
    public async Task<(IReadOnlyList<AccountRecord> Items, string? ContinuationToken)> ListAsync(string? sandbox, OnboardingStatus? status, string? continuationToken, int pageSize, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        List<string> filters = [];
        if (sandbox is not null)
        {
            filters.Add(TableClient.CreateQueryFilter($"PartitionKey eq {sandbox}"));
        }

        if (status is not null)
        {
            filters.Add(TableClient.CreateQueryFilter($"Status eq {status.Value.ToString()}"));
        }

        string? filter = filters.Count == 0 ? null : string.Join(" and ", filters);
        await foreach (Page<AccountRecord> page in table.QueryAsync<AccountRecord>(filter, pageSize, cancellationToken: cancellationToken).AsPages(continuationToken, pageSize).ConfigureAwait(false))
        {
            return (page.Values, page.ContinuationToken);
        }

        return ([], null);
    }

    /// <summary>
    /// Records the sweep should act on: registered and not yet onboarded, failed for a transient cause and due
    /// again, or still marked onboarding long after their last update.
    /// </summary>
    public async IAsyncEnumerable<AccountRecord> QueryDueAsync(DateTimeOffset now, DateTimeOffset staleBefore, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        string pending = nameof(OnboardingStatus.Pending), failed = nameof(OnboardingStatus.Failed), onboarding = nameof(OnboardingStatus.Onboarding);
        string filter = TableClient.CreateQueryFilter(
            $"Status eq {pending} or (Status eq {failed} and ErrorTransient eq {true} and NextAttemptAt le {now}) or (Status eq {onboarding} and UpdatedAt le {staleBefore})");
        await foreach (AccountRecord record in table.QueryAsync<AccountRecord>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return record;
        }
    }

    /// <summary>Marks the record's key as expiring soon (cleared when a new version reaches Adobe).</summary>
    public async Task FlagNearExpiryAsync(string sandbox, string accountName, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        TableEntity entity = new(sandbox, accountName) { ["SecretNearExpiry"] = true, ["UpdatedAt"] = time.GetUtcNow() };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every record whose key is the given Key Vault secret (across sandboxes).</summary>
    public async IAsyncEnumerable<AccountRecord> QueryBySecretAsync(string secretName, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        await foreach (AccountRecord record in table.QueryAsync<AccountRecord>(TableClient.CreateQueryFilter($"SecretName eq {secretName}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return record;
        }
    }

    /// <summary>Every connected record (the sweep compares their key versions with Key Vault's).</summary>
    public async IAsyncEnumerable<AccountRecord> QueryConnectedAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        string connected = nameof(OnboardingStatus.Connected);
        await foreach (AccountRecord record in table.QueryAsync<AccountRecord>(TableClient.CreateQueryFilter($"Status eq {connected}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return record;
        }
    }

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
}

/// <summary>A partial update of an account record: null fields are left as they are.</summary>
public sealed record AccountRecordUpdate(
    string Sandbox,
    string AccountName,
    OnboardingStatus Status,
    string LastAction,
    string? InstanceId = null,
    string? StorageAccountUrl = null,
    string? ClientId = null,
    string? Tenant = null,
    string? SecretName = null,
    string? SecretVersion = null,
    string? ConnectionName = null,
    string? Description = null,
    string? RequestedSecretVersion = null,
    string? RegistrationFingerprint = null,
    string? ConnectionId = null,
    string? ConnectionEtag = null,
    bool? CredentialTestPassed = null,
    int? AttemptCount = null,
    string? ErrorCode = null,
    string? ErrorMessage = null,
    string? Warning = null,
    bool? ErrorTransient = null,
    int? ConsecutiveFailures = null,
    DateTimeOffset? NextAttemptAt = null,
    string? LastTrigger = null,
    DateTimeOffset? RotatedAt = null,
    bool? SecretNearExpiry = null,
    string? TraceParent = null,
    bool ClearError = false)
{
    internal TableEntity ToEntity(DateTimeOffset now)
    {
        TableEntity entity = new(Sandbox, AccountName)
        {
            ["Status"] = Status.ToString(),
            ["LastAction"] = LastAction,
            ["UpdatedAt"] = now,
        };
        Set(entity, "InstanceId", InstanceId);
        Set(entity, "StorageAccountUrl", StorageAccountUrl);
        Set(entity, "ClientId", ClientId);
        Set(entity, "Tenant", Tenant);
        Set(entity, "SecretName", SecretName);
        Set(entity, "SecretVersion", SecretVersion);
        Set(entity, "ConnectionName", ConnectionName);
        Set(entity, "Description", Description);
        Set(entity, "RequestedSecretVersion", RequestedSecretVersion);
        Set(entity, "RegistrationFingerprint", RegistrationFingerprint);
        Set(entity, "ErrorTransient", ErrorTransient);
        Set(entity, "ConsecutiveFailures", ConsecutiveFailures);
        Set(entity, "NextAttemptAt", NextAttemptAt);
        Set(entity, "LastTrigger", LastTrigger);
        Set(entity, "RotatedAt", RotatedAt);
        Set(entity, "SecretNearExpiry", SecretNearExpiry);
        Set(entity, "TraceId", Telemetry.WorkflowTelemetry.TraceIdOf(TraceParent));
        Set(entity, "ConnectionId", ConnectionId);
        Set(entity, "ConnectionEtag", ConnectionEtag);
        Set(entity, "CredentialTestPassed", CredentialTestPassed);
        Set(entity, "AttemptCount", AttemptCount);
        Set(entity, "Warning", Warning);
        if (ClearError)
        {
            // A merge cannot delete a property; an empty value stands for "no error".
            entity["ErrorCode"] = "";
            entity["ErrorMessage"] = "";
        }
        else
        {
            Set(entity, "ErrorCode", ErrorCode);
            Set(entity, "ErrorMessage", ErrorMessage);
        }

        return entity;
    }

    private static void Set(TableEntity entity, string key, object? value)
    {
        if (value is not null)
        {
            entity[key] = value;
        }
    }
}
