using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using AdlsOnboarding.Workflow.Telemetry;
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
}

/// <summary>
/// Onboards registered accounts without anybody calling the start API: on each timer tick it finds the accounts
/// that are due (<see cref="AccountRecordStore.QueryDueAsync"/>) and starts at most
/// <see cref="SweepOptions.MaxStartsPerSweep"/> of them through the same start-or-join routine as the HTTP API, so it
/// never doubles a running onboarding. Calls to Adobe stay bounded by the <see cref="Adobe.AdobeTrafficGate"/>.
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
    public async Task<SweepReport> SweepAsync(DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        using System.Diagnostics.Activity? span = Telemetry.WorkflowTelemetry.Source.StartActivity("RegistrySweep");
        SweepOptions options = sweepOptions.Value;
        DateTimeOffset now = time.GetUtcNow();
        int due = 0, started = 0, joined = 0, running = 0, conflicts = 0, invalid = 0, deferred = 0;

        await foreach (AccountRecord record in records.QueryDueAsync(now, now - options.StaleOnboardingAfter, cancellationToken).ConfigureAwait(false))
        {
            due++;
            if (started >= options.MaxStartsPerSweep)
            {
                deferred++;
                continue;
            }

            ValidOnboardingRequest? request = registry.RequestOf(record);
            if (request is null)
            {
                invalid++;
                await records.MarkRegistrationInvalidAsync(record.PartitionKey, record.RowKey, cancellationToken).ConfigureAwait(false);
                continue;
            }

            StartResult result = await starter.StartOrJoinAsync(client, OnboardingInput.From(request, onboardingOptions.Value.ToRetrySettings(), OnboardingTriggers.Sweep), cancellationToken).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case StartOutcome.Started:
                    started++;
                    break;
                case StartOutcome.Joined when record.Status == OnboardingStatus.Onboarding:
                    running++;
                    break;
                case StartOutcome.Joined:
                    joined++;
                    break;
                default:
                    // An HTTP caller's different request is running; the account is due again when it ends.
                    conflicts++;
                    break;
            }
        }

        (int rotations, int nearExpiry) = await CheckKeyVersionsAsync(client, options.MaxStartsPerSweep - started, now, cancellationToken).ConfigureAwait(false);
        SweepReport report = new(due, started, joined, running, conflicts, invalid, deferred) { Rotations = rotations, NearExpiry = nearExpiry };
        metrics.Backlog(due - started);
        span?.SetTag("adls.sweep.due", due);
        span?.SetTag("adls.sweep.started", started);
        Logs.SweepCompleted(logger, report.Due, report.Started, report.Joined, report.Running, report.Conflicts, report.Invalid, report.Deferred);
        return report;
    }

    /// <summary>
    /// The rotation fallback: a connected account whose key has a newer version in Key Vault than the one Adobe has
    /// (a missed or deferred event) is re-onboarded; a key close to expiry is flagged. One versions list per secret;
    /// the current version counts for an account only if its tags bind it to that account's service principal, so a
    /// version nobody bound is never sent (the refusal is logged, each sweep, until an operator tags it).
    /// </summary>
    private async Task<(int Rotations, int NearExpiry)> CheckKeyVersionsAsync(DurableTaskClient client, int budget, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Dictionary<string, SecretVersions?> listed = new(StringComparer.OrdinalIgnoreCase);
        int rotations = 0, nearExpiry = 0;
        await foreach (AccountRecord record in records.QueryConnectedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrEmpty(record.SecretName) || !string.IsNullOrEmpty(record.RequestedSecretVersion))
            {
                continue;
            }

            if (!listed.TryGetValue(record.SecretName, out SecretVersions? versions))
            {
                versions = await TryAsync(() => keys.ListAsync(record.SecretName, cancellationToken)).ConfigureAwait(false);
                listed[record.SecretName] = versions;
            }

            // Missing, unbound, disabled or expired: nothing to rotate to; the next onboarding reports it.
            SecretBinding binding = new(record.ClientId ?? "", record.Tenant ?? "", record.RowKey);
            SecretVersionInfo? version = versions is null
                ? null
                : await TryAsync(() => keys.ResolveAsync(versions, null, binding, cancellationToken)).ConfigureAwait(false);
            if (version is null)
            {
                continue;
            }

            if (version.ExpiresOn is { } expires && expires - now < sweepOptions.Value.NearExpiryWindow && record.SecretNearExpiry != true && version.Version == record.SecretVersion)
            {
                await records.FlagNearExpiryAsync(record.PartitionKey, record.RowKey, cancellationToken).ConfigureAwait(false);
                Logs.SecretNearExpiry(logger, record.SecretName, record.PartitionKey, record.RowKey, expires);
                nearExpiry++;
            }

            if (version.Version == record.SecretVersion || rotations >= budget)
            {
                continue;
            }

            // A version a rotation held back (refused by the pre-flight, or staged) is tried again at NextAttemptAt,
            // not at every sweep; another new version goes at once.
            if (string.Equals(version.Version, record.PendingSecretVersion, StringComparison.OrdinalIgnoreCase) && record.NextAttemptAt > now)
            {
                continue;
            }

            ValidOnboardingRequest? request = registry.RequestOf(record);
            if (request is null || await OnboardingStarter.IsAnyOperationActiveAsync(client, record.PartitionKey, record.RowKey, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            StartResult result = await starter.StartOrJoinAsync(client, OnboardingInput.From(request, onboardingOptions.Value.ToRetrySettings(), OnboardingTriggers.SecretVersionDrift), cancellationToken).ConfigureAwait(false);
            rotations += result.Outcome == StartOutcome.Started ? 1 : 0;
        }

        return (rotations, nearExpiry);
    }

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
