using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow.Offboarding;

/// <summary>Input of an offboarding: the account, the status to restore if Adobe refuses, and the retry settings.</summary>
public sealed record OffboardingInput(string Sandbox, string AccountName, OnboardingStatus PreviousStatus, OnboardingRetrySettings Retry)
{
    /// <summary>Offboarding requests for an account are all the same request.</summary>
    public string Fingerprint => "offboard";

    public const string InstanceIdPrefix = "offboard-";

    public static string InstanceIdFor(string sandbox, string accountName) => $"{InstanceIdPrefix}{sandbox}-{accountName}";
}

/// <summary>What deleting the connection found.</summary>
public enum DeletionAction
{
    Deleted,
    AlreadyGone,
    NoConnection,
}

public sealed record DeletionResult(string? ConnectionId, DeletionAction Action);

/// <summary>
/// The orchestration output: <c>Offboarded</c> with what deleting the connection found, or <c>Failed</c> with why it was
/// refused. Its property names are those the offboardings of earlier releases wrote, so their outputs still read.
/// </summary>
public sealed record OffboardingOutcome(
    string Sandbox,
    string AccountName,
    OnboardingStatus Status,
    string? ConnectionId,
    DeletionAction? Deletion,
    string? ErrorCode,
    string? ErrorMessage,
    DateTimeOffset CompletedAt);

/// <summary>
/// Offboards one account: deletes its Adobe base connection and marks the record <c>Offboarded</c> (kept for audit).
/// Idempotent: a connection already gone counts as deleted. A connection still used by dataflows (Adobe
/// <c>1418-400</c>) is left in place, the record keeps its status, and the outcome says why.
/// </summary>
public sealed class OffboardingOrchestration : TaskOrchestrator<OffboardingInput, OffboardingOutcome>
{
    public override async Task<OffboardingOutcome> RunAsync(TaskOrchestrationContext context, OffboardingInput input)
    {
        ILogger logger = context.CreateReplaySafeLogger(nameof(OffboardingOrchestration));
        TaskOptions retry = DurableRetry.Options(input.Retry);

        await context.CallActivityAsync(nameof(SaveAccountRecordActivity), AccountRecordChange.Offboarding(input.Sandbox, input.AccountName, context.InstanceId), retry);
        try
        {
            DeletionResult deletion = await context.CallActivityAsync<DeletionResult>(nameof(DeleteConnectionActivity), new DeleteConnectionInput(input.Sandbox, input.AccountName), retry);
            await context.CallActivityAsync(
                nameof(SaveAccountRecordActivity),
                AccountRecordChange.Offboarded(input.Sandbox, input.AccountName, context.InstanceId, deletion.Action),
                retry);
            Logs.OffboardingCompleted(logger, context.InstanceId, input.Sandbox, input.AccountName, deletion.Action);
            return new OffboardingOutcome(input.Sandbox, input.AccountName, OnboardingStatus.Offboarded, deletion.ConnectionId, deletion.Action,
                null, null, context.CurrentUtcDateTime);
        }
        catch (TaskFailedException ex)
        {
            ClassifiedFailure failure = ClassifiedFailure.Of(ex.FailureDetails, logger, context.InstanceId);

            await context.CallActivityAsync(
                nameof(SaveAccountRecordActivity),
                AccountRecordChange.OffboardingRefused(input.Sandbox, input.AccountName, context.InstanceId, input.PreviousStatus, failure),
                retry);
            Logs.OnboardingFailed(logger, context.InstanceId, input.Sandbox, input.AccountName, failure.Code, failure.IsTransient);
            return new OffboardingOutcome(input.Sandbox, input.AccountName, OnboardingStatus.Failed, null, null,
                failure.Code, failure.PublicMessage, context.CurrentUtcDateTime);
        }
    }
}

public sealed record DeleteConnectionInput(string Sandbox, string AccountName);

/// <summary>
/// Deletes the account's Adobe connection (the one its record names, if it is still the app's to delete: see
/// <see cref="ConnectionOwnership"/>); a missing one counts as deleted.
/// </summary>
public sealed class DeleteConnectionActivity(AccountRecordStore records, FlowServiceClient flowService, ConnectionOwnership ownership, TimeProvider time, ILogger<DeleteConnectionActivity> logger) : IWorkflowActivity<DeleteConnectionInput, DeletionResult>
{
    public const string InUseCode = "1418-400";

    public async Task<DeletionResult> RunAsync(DeleteConnectionInput input, CancellationToken cancellationToken = default)
    {
        AccountRecord? record = await records.GetAsync(input.Sandbox, input.AccountName, cancellationToken).ConfigureAwait(false);
        if (record is not null && string.IsNullOrEmpty(record.ConnectionId) && record.CreatePending == true)
        {
            // A create of the app's may have happened and not been recorded (its answer was lost, or the onboarding
            // stopped between the create and the Connected mark, which is what records it): look it up as an
            // onboarding would, and delete what the app created for this account.
            return await DeletePendingCreateAsync(input, record, cancellationToken).ConfigureAwait(false);
        }

        if (string.IsNullOrEmpty(record?.ConnectionId))
        {
            return new DeletionResult(null, DeletionAction.NoConnection);
        }

        // The record's id is the first proof; Adobe's createdClient (recorded with it) and the URL are checked again, so
        // a record written under the removed adopt-by-name rule cannot delete someone else's connection.
        FlowConnection? connection = await flowService.GetConnectionAsync(input.Sandbox, record.ConnectionId, cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            if (record.CreatePending == true)
            {
                // The recorded connection is gone and a create of the app's is pending: a re-onboarding created a new
                // connection and stopped before the Connected mark that records it. Delete that one, as above.
                DeletionResult pending = await DeletePendingCreateAsync(input, record, cancellationToken).ConfigureAwait(false);
                if (pending.Action != DeletionAction.NoConnection)
                {
                    return pending;
                }
            }

            return new DeletionResult(record.ConnectionId, DeletionAction.AlreadyGone);
        }

        if (ownership.WhyNotRecorded(connection, record.StorageAccountUrl ?? $"https://{input.AccountName}.dfs.core.windows.net", record) is { } whyNot)
        {
            Logs.DeletionRefused(logger, input.Sandbox, input.AccountName, connection.Id, whyNot);
            throw ConnectionOwnership.Conflict($"Connection {connection.Id} may not be deleted by this app: {whyNot}. It was not deleted.");
        }

        try
        {
            bool deleted = await flowService.DeleteConnectionAsync(input.Sandbox, record.ConnectionId, cancellationToken).ConfigureAwait(false);
            return new DeletionResult(record.ConnectionId, deleted ? DeletionAction.Deleted : DeletionAction.AlreadyGone);
        }
        catch (AdobeServiceException ex) when (ex.Code == InUseCode)
        {
            throw new OnboardingFailureException(InUseCode, $"Connection {record.ConnectionId} is still used by dataflows; delete them in Experience Platform first. Nothing was changed.", isTransient: false);
        }
    }

    /// <summary>
    /// The record has no connection id but a create may have happened: while its lease runs a create may still be under
    /// way (transient, retried after the lease); after it, every connection the onboarding's look-up would take as the
    /// result of its own create (<see cref="ConnectionOwnership.IsOurCreate(FlowConnection, string, string, string, string)"/>:
    /// this app's createdClient, the record's name, URL, service principal and tenant) is deleted. Anything else is not
    /// the app's and is left alone.
    /// </summary>
    private async Task<DeletionResult> DeletePendingCreateAsync(DeleteConnectionInput input, AccountRecord record, CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        if (record.CreateLeaseUntil is { } leaseUntil && leaseUntil > now)
        {
            throw new OnboardingFailureException(ConnectionReconciler.CreateInProgressCode, "A create of this account's connection may still be under way; offboarding after its lease.", isTransient: true, retryAfter: leaseUntil - now);
        }

        string url = string.IsNullOrEmpty(record.StorageAccountUrl) ? $"https://{input.AccountName}.dfs.core.windows.net" : record.StorageAccountUrl;
        if (string.IsNullOrEmpty(record.ConnectionName) || string.IsNullOrEmpty(record.ClientId) || string.IsNullOrEmpty(record.Tenant))
        {
            return new DeletionResult(null, DeletionAction.NoConnection);
        }

        IReadOnlyList<FlowConnection> found = await flowService.FindConnectionsByNameOrUrlAsync(input.Sandbox, record.ConnectionName, url, cancellationToken).ConfigureAwait(false);
        List<FlowConnection> ours = [.. found
            .Where(c => ownership.IsOurCreate(c, record.ConnectionName, url, record.ClientId, record.Tenant))
            .OrderBy(c => c.CreatedAt ?? long.MaxValue).ThenBy(c => c.Id, StringComparer.Ordinal)];
        if (ours.Count == 0)
        {
            return new DeletionResult(null, DeletionAction.NoConnection);
        }

        bool deletedAny = false;
        foreach (FlowConnection connection in ours)
        {
            try
            {
                deletedAny |= await flowService.DeleteConnectionAsync(input.Sandbox, connection.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (AdobeServiceException ex) when (ex.Code == InUseCode)
            {
                throw new OnboardingFailureException(InUseCode, $"Connection {connection.Id} is still used by dataflows; delete them in Experience Platform first.", isTransient: false);
            }
        }

        return new DeletionResult(ours[0].Id, deletedAny ? DeletionAction.Deleted : DeletionAction.AlreadyGone);
    }
}
