using System.Diagnostics;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Registry;

/// <summary>What one sweep did.</summary>
public sealed record SweepReport(int Due, int Started, int Joined, int Running, int Conflicts, int Invalid, int Deferred)
{
    /// <summary>Connected accounts whose key has a newer version in Key Vault, re-onboarded by this sweep.</summary>
    public int Rotations { get; init; }

    /// <summary>Connected accounts whose key expires within <see cref="SweepOptions.NearExpiryWindow"/>.</summary>
    public int NearExpiry { get; init; }

    /// <summary>Due accounts whose last onboarding an operator terminated: put on hold, not started.</summary>
    public int Terminated { get; init; }

    /// <summary>Connected accounts whose stored registration no longer passes today's rules (kept connected, shown, counted).</summary>
    public int InvalidConnected { get; init; }

    /// <summary>Connected accounts whose current key version cannot be used (unbound, missing, disabled, expired).</summary>
    public int KeyUnavailable { get; init; }

    /// <summary>Records the sweep could not process (logged and counted); the others were processed all the same.</summary>
    public int Failed { get; init; }
}

/// <summary>
/// Onboards registered accounts without anybody calling the start API: on each timer tick it finds the accounts
/// that are due (<see cref="AccountRecordStore.QueryDueAsync"/>) and starts at most
/// <see cref="SweepOptions.MaxStartsPerSweep"/> of them through the same start-or-join routine as the HTTP API, so it
/// never doubles a running onboarding. Calls to Adobe stay bounded by the <see cref="Adobe.AdobeTrafficGate"/>.
/// Every stored registration it acts on is validated again with today's rules (it may have been stored under older
/// ones). One record that fails to be processed is logged and counted, and the sweep goes on with the next.
/// </summary>
public sealed class RegistrySweeper(
    AccountRecordStore records,
    AccountRegistry registry,
    OnboardingStarter starter,
    ServicePrincipalKeys keys,
    IOptions<SweepOptions> sweepOptions,
    IOptions<OnboardingOptions> onboardingOptions,
    TimeProvider time,
    WorkflowMetrics metrics,
    ILogger<RegistrySweeper> logger)
{
    private enum DueOutcome
    {
        /// <summary>Processing the record failed (logged and counted).</summary>
        Failed,
        Started,
        Joined,
        Running,
        Conflict,
        Invalid,
        Terminated,
    }

    public async Task<SweepReport> SweepAsync(DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        using Activity? span = WorkflowTelemetry.Source.StartActivity("RegistrySweep");
        SweepOptions options = sweepOptions.Value;
        DateTimeOffset now = time.GetUtcNow();
        int due = 0, started = 0, joined = 0, running = 0, conflicts = 0, invalid = 0, deferred = 0, terminated = 0;
        Counts counts = new();

        await foreach (AccountRecord record in records.QueryDueAsync(now, now - options.StaleOnboardingAfter, cancellationToken).ConfigureAwait(false))
        {
            due++;
            if (started >= options.MaxStartsPerSweep)
            {
                deferred++;
                continue;
            }

            DueOutcome outcome = await IsolatedAsync(record, "due", counts, () => SweepDueAsync(client, record, cancellationToken), DueOutcome.Failed, cancellationToken).ConfigureAwait(false);
            switch (outcome)
            {
                case DueOutcome.Started:
                    started++;
                    break;
                case DueOutcome.Joined:
                    joined++;
                    break;
                case DueOutcome.Running:
                    running++;
                    break;
                case DueOutcome.Conflict:
                    conflicts++;
                    break;
                case DueOutcome.Invalid:
                    invalid++;
                    break;
                case DueOutcome.Terminated:
                    terminated++;
                    break;
            }
        }

        (int rotations, int nearExpiry) = await CheckKeyVersionsAsync(client, options.MaxStartsPerSweep - started, now, counts, cancellationToken).ConfigureAwait(false);
        SweepReport report = new(due, started, joined, running, conflicts, invalid, deferred)
        {
            Rotations = rotations,
            NearExpiry = nearExpiry,
            Terminated = terminated,
            InvalidConnected = counts.InvalidConnected,
            KeyUnavailable = counts.KeyUnavailable,
            Failed = counts.Failed,
        };
        metrics.Backlog(due - started);
        span?.SetTag("adls.sweep.due", due);
        span?.SetTag("adls.sweep.started", started);
        span?.SetTag("adls.sweep.failed", counts.Failed);
        Logs.SweepCompleted(logger, report.Due, report.Started, report.Joined, report.Running, report.Conflicts, report.Invalid, report.Deferred);
        return report;
    }

    /// <summary>
    /// One due record: validated again with today's rules (a registration that fails is shown, never started); not
    /// started again when an operator terminated its last onboarding and nobody registered it since; else started or joined.
    /// </summary>
    private async Task<DueOutcome> SweepDueAsync(DurableTaskClient client, AccountRecord record, CancellationToken cancellationToken)
    {
        ValidOnboardingRequest? request = registry.RequestOf(record, out Dictionary<string, string[]> errors);
        if (request is null)
        {
            metrics.RegistrationInvalid(ReasonOf(errors));
            await records.TryMarkRegistrationInvalidAsync(record, MessageOf(errors), cancellationToken).ConfigureAwait(false);
            return DueOutcome.Invalid;
        }

        if (await TerminatedRunAsync(client, record, cancellationToken).ConfigureAwait(false) is { } terminatedId)
        {
            metrics.OnboardingTerminated(record.PartitionKey);
            Logs.OnboardingTerminatedHeld(logger, terminatedId, record.PartitionKey, record.RowKey);
            await records.TryMarkOnboardingTerminatedAsync(record, terminatedId, cancellationToken).ConfigureAwait(false);
            return DueOutcome.Terminated;
        }

        StartResult result = await starter.StartOrJoinAsync(client, OnboardingInput.From(request, onboardingOptions.Value.ToRetrySettings(), OnboardingTriggers.Sweep, record.RegistrationRevision ?? 0), cancellationToken).ConfigureAwait(false);
        return result.Outcome switch
        {
            StartOutcome.Started => DueOutcome.Started,
            StartOutcome.Joined when record.Status == OnboardingStatus.Onboarding => DueOutcome.Running,
            StartOutcome.Joined => DueOutcome.Joined,

            // An HTTP caller's different request is running; the account is due again when it ends.
            _ => DueOutcome.Conflict,
        };
    }

    /// <summary>
    /// The id of the account's onboarding if an operator terminated it and the registration has not changed since
    /// (its input's registration revision is the record's): that onboarding is not started again by the sweep.
    /// </summary>
    private static async Task<string?> TerminatedRunAsync(DurableTaskClient client, AccountRecord record, CancellationToken cancellationToken)
    {
        string instanceId = OnboardingInstanceId.For(record.PartitionKey, record.RowKey);
        OrchestrationMetadata? metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
        if (metadata?.RuntimeStatus != OrchestrationRuntimeStatus.Terminated)
        {
            return null;
        }

        // An input read from the record carries its revision; a POST's (or an earlier release's) does not, and then a
        // registration written since (PUT) is what counts as registered again.
        long? runRevision = metadata.ReadInputAs<OnboardingInput>()?.RegistrationRevision;
        bool registeredSince = runRevision is { } read
            ? (record.RegistrationRevision ?? 0) > read
            : record.LastAction is AccountRecordStore.RegisteredAction or AccountRecordStore.RegistrationChangedAction;
        return registeredSince ? null : instanceId;
    }

    /// <summary>
    /// The rotation fallback: a connected account whose key has a newer version in Key Vault than the one Adobe has
    /// (a missed or deferred event) is re-onboarded; a key close to expiry is flagged. One versions list per secret;
    /// the current version counts for an account only if its tags bind it to that account's service principal, so a
    /// version nobody bound is never sent: the account stays connected with the key Adobe has, and its record says
    /// <c>SecretUnavailable</c> until an operator tags a version. A connected account whose registration no longer
    /// passes today's rules stays connected too (its connection is never touched by the sweep), shown as
    /// <c>InvalidRegistration</c>; no new key version is sent through it until an operator registers it again.
    /// </summary>
    private async Task<(int Rotations, int NearExpiry)> CheckKeyVersionsAsync(DurableTaskClient client, int budget, DateTimeOffset now, Counts counts, CancellationToken cancellationToken)
    {
        Dictionary<string, SecretVersions?> listed = new(StringComparer.OrdinalIgnoreCase);
        int rotations = 0, nearExpiry = 0;
        await foreach (AccountRecord record in records.QueryConnectedAsync(cancellationToken).ConfigureAwait(false))
        {
            KeyCheck check = await IsolatedAsync(record, "keyVersion", counts, () => CheckKeyVersionAsync(client, record, listed, rotations < budget, now, counts, cancellationToken), default(KeyCheck), cancellationToken).ConfigureAwait(false);
            rotations += check.Rotated ? 1 : 0;
            nearExpiry += check.FlaggedNearExpiry ? 1 : 0;
        }

        return (rotations, nearExpiry);
    }

    private async Task<KeyCheck> CheckKeyVersionAsync(DurableTaskClient client, AccountRecord record, Dictionary<string, SecretVersions?> listed, bool mayRotate, DateTimeOffset now, Counts counts, CancellationToken cancellationToken)
    {
        ValidOnboardingRequest? request = registry.RequestOf(record, out Dictionary<string, string[]> errors);
        if (request is null)
        {
            counts.InvalidConnected++;
            metrics.RegistrationInvalid(ReasonOf(errors));
            if (record.ErrorCode != AccountErrorCodes.InvalidRegistration)
            {
                await records.TryMarkRegistrationInvalidAsync(record, MessageOf(errors), cancellationToken).ConfigureAwait(false);
            }

            // A secret name that fails today's rules (one of the app's own secrets) is not even listed.
            if (errors.ContainsKey("secretName"))
            {
                return default;
            }
        }

        if (string.IsNullOrEmpty(record.SecretName) || !string.IsNullOrEmpty(record.RequestedSecretVersion))
        {
            return default;
        }

        if (!listed.TryGetValue(record.SecretName, out SecretVersions? versions))
        {
            versions = await TryAsync(() => keys.ListAsync(record.SecretName, cancellationToken)).ConfigureAwait(false);
            listed[record.SecretName] = versions;
        }

        if (versions is null)
        {
            return default;
        }

        // Missing, unbound or forbidden: nothing to rotate to. Adobe keeps the key it has; the record says so.
        // (Disabled, expired or not yet valid: nothing to rotate to either; the next onboarding reports it.)
        SecretBinding binding = new(record.ClientId ?? "", record.Tenant ?? "", record.RowKey, record.PartitionKey);
        SecretVersionInfo? version;
        try
        {
            version = await keys.ResolveAsync(versions, null, binding, cancellationToken).ConfigureAwait(false);
        }
        catch (SecretStoreException ex) when (ex.Code == SecretErrorCodes.Unavailable)
        {
            counts.KeyUnavailable++;
            metrics.RegistrationInvalid(SecretErrorCodes.Unavailable);
            if (request is not null && record.ErrorCode != SecretErrorCodes.Unavailable)
            {
                await records.TryMarkConnectedKeyUnavailableAsync(record, SecretErrorCodes.Unavailable, ConnectedKeyUnavailableMessage, cancellationToken).ConfigureAwait(false);
            }

            return default;
        }
        catch (SecretStoreException)
        {
            return default;
        }

        if (record.ErrorCode == SecretErrorCodes.Unavailable && request is not null)
        {
            // An operator bound a version: the record no longer says it cannot be used.
            await records.TryClearConnectedErrorAsync(record, cancellationToken).ConfigureAwait(false);
        }

        bool flagged = false;
        if (version.ExpiresOn is { } expires && expires - now < sweepOptions.Value.NearExpiryWindow && record.SecretNearExpiry != true && version.Version == record.SecretVersion)
        {
            await records.FlagNearExpiryAsync(record.PartitionKey, record.RowKey, cancellationToken).ConfigureAwait(false);
            Logs.SecretNearExpiry(logger, record.SecretName, record.PartitionKey, record.RowKey, expires);
            flagged = true;
        }

        // A version a rotation held back (refused by the pre-flight, or staged) is tried again at NextAttemptAt,
        // not at every sweep; another new version goes at once.
        bool heldBack = string.Equals(version.Version, record.PendingSecretVersion, StringComparison.OrdinalIgnoreCase) && record.NextAttemptAt > now;
        if (version.Version == record.SecretVersion || heldBack || !mayRotate || request is null
            || await OnboardingStarter.IsAnyOperationActiveAsync(client, record.PartitionKey, record.RowKey, cancellationToken).ConfigureAwait(false))
        {
            return new KeyCheck(false, flagged);
        }

        StartResult result = await starter.StartOrJoinAsync(client, OnboardingInput.From(request, onboardingOptions.Value.ToRetrySettings(), OnboardingTriggers.SecretVersionDrift, record.RegistrationRevision ?? 0), cancellationToken).ConfigureAwait(false);
        return new KeyCheck(result.Outcome == StartOutcome.Started, flagged);
    }

    /// <summary>What the sweep records on a connected account whose current key version cannot be used.</summary>
    public const string ConnectedKeyUnavailableMessage =
        "The current version of the key cannot be used (not bound to this service principal by its tags, missing, disabled or expired): Adobe keeps the key it has, and a new version is sent once one is usable.";

    /// <summary>Runs one record's step; a failure is logged and counted, and the sweep goes on with the next record.</summary>
    private async Task<T> IsolatedAsync<T>(AccountRecord record, string stage, Counts counts, Func<Task<T>> step, T failed, CancellationToken cancellationToken)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            counts.Failed++;
            metrics.SweepRecordFailed(stage);
            Logs.SweepRecordFailed(logger, record.PartitionKey, record.RowKey, stage, ex.GetType().Name, ex);
            return failed;
        }
    }

    /// <summary>The fields that failed, for the metric (a small, fixed set of names).</summary>
    private static string ReasonOf(Dictionary<string, string[]> errors) => errors.Count == 0 ? "unknown" : string.Join(",", errors.Keys.Order(StringComparer.Ordinal));

    private static string MessageOf(Dictionary<string, string[]> errors) =>
        "The stored registration does not pass today's rules (" + string.Join(" ", errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")) + "). Register the account again (PUT) with valid values, or offboard it (DELETE).";

    private sealed class Counts
    {
        public int InvalidConnected { get; set; }

        public int KeyUnavailable { get; set; }

        public int Failed { get; set; }
    }

    private readonly record struct KeyCheck(bool Rotated, bool FlaggedNearExpiry);

    private static async Task<T?> TryAsync<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (SecretStoreException)
        {
            return null;
        }
    }
}
