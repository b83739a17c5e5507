using System.Diagnostics;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Rotation;

/// <summary>What handling one queue message did.</summary>
public sealed record SecretEventReport(bool Malformed, int Events, int RotationsStarted, int Deferred, int Flagged);

/// <summary>
/// Acts on Key Vault's secret events (delivered by Event Grid to a Storage queue). A new version of a service
/// principal key re-onboards every account that uses it, which updates Adobe's copy (<c>PATCH</c> with
/// <c>If-Match</c>, then <c>/test</c>) through the same idempotent workflow as onboarding, so the no-duplicate and
/// no-secret guarantees hold. An account with an operation running is left to the sweep, which compares key
/// versions and applies the rotation once that operation has ended. A near-expiry event flags the records.
/// </summary>
public sealed class SecretEventHandler(
    AccountRecordStore records,
    AccountRegistry registry,
    OnboardingStarter starter,
    IOptions<SecretStoreOptions> secretOptions,
    IOptions<OnboardingOptions> onboardingOptions,
    ILogger<SecretEventHandler> logger)
{
    public async Task<SecretEventReport> HandleAsync(DurableTaskClient client, string message, CancellationToken cancellationToken = default)
    {
        using Activity? span = WorkflowTelemetry.Source.StartActivity("KeyVaultEvent");
        if (!KeyVaultSecretEventParser.TryParse(message, out IReadOnlyList<KeyVaultSecretEvent> events, out string? error))
        {
            // Nothing to retry: a malformed message would fail the same way every time.
            Logs.SecretEventMalformed(logger, error ?? "unreadable");
            return new SecretEventReport(true, 0, 0, 0, 0);
        }

        int started = 0, deferred = 0, flagged = 0;
        foreach (KeyVaultSecretEvent secretEvent in events.Where(IsOurVault))
        {
            if (secretEvent.Kind is SecretEventKind.NearExpiry or SecretEventKind.Expired)
            {
                flagged += await FlagNearExpiryAsync(secretEvent, cancellationToken).ConfigureAwait(false);
                continue;
            }

            (int s, int d) = await RotateAsync(client, secretEvent.SecretName, OnboardingTriggers.SecretRotated, cancellationToken).ConfigureAwait(false);
            started += s;
            deferred += d;
            Logs.SecretRotationStarted(logger, secretEvent.SecretName, s, d);
        }

        return new SecretEventReport(false, events.Count, started, deferred, flagged);
    }

    /// <summary>Re-onboards the connected or failed accounts that use the secret at its current version.</summary>
    public async Task<(int Started, int Deferred)> RotateAsync(DurableTaskClient client, string secretName, string trigger, CancellationToken cancellationToken)
    {
        int started = 0, deferred = 0;
        await foreach (AccountRecord record in records.QueryBySecretAsync(secretName, cancellationToken).ConfigureAwait(false))
        {
            bool pinned = !string.IsNullOrEmpty(record.RequestedSecretVersion);
            if (!pinned && record.Status is OnboardingStatus.Onboarding or OnboardingStatus.Offboarding)
            {
                // An operation is under way: the sweep compares versions once it has ended.
                deferred++;
                continue;
            }

            // An account on hold (terminated onboarding, invalid registration) waits for an operator, not for a key.
            if (pinned || record.Status is not (OnboardingStatus.Connected or OnboardingStatus.Failed) || AccountErrorCodes.IsOperatorHold(record.ErrorCode))
            {
                continue;
            }

            ValidOnboardingRequest? request = registry.RequestOf(record);
            if (request is null)
            {
                continue;
            }

            if (await OnboardingStarter.IsAnyOperationActiveAsync(client, record.PartitionKey, record.RowKey, cancellationToken).ConfigureAwait(false))
            {
                // Joining would be wrong: the running operation may have read the old version. The sweep applies it after.
                deferred++;
                continue;
            }

            StartResult result = await starter.StartOrJoinAsync(client, OnboardingInput.From(request, onboardingOptions.Value.ToRetrySettings(), trigger, record.RegistrationRevision ?? 0), cancellationToken).ConfigureAwait(false);
            if (result.Outcome == StartOutcome.Started)
            {
                started++;
            }
            else
            {
                deferred++;
            }
        }

        return (started, deferred);
    }

    private async Task<int> FlagNearExpiryAsync(KeyVaultSecretEvent secretEvent, CancellationToken cancellationToken)
    {
        int flagged = 0;
        await foreach (AccountRecord record in records.QueryBySecretAsync(secretEvent.SecretName, cancellationToken).ConfigureAwait(false))
        {
            if (record.Status is OnboardingStatus.Offboarded)
            {
                continue;
            }

            // An expired key is marked as a near-expiry one is (the mark clears when a new version reaches Adobe), and
            // logged as an error: Adobe's source fails with it from now on.
            await records.FlagNearExpiryAsync(record.PartitionKey, record.RowKey, cancellationToken).ConfigureAwait(false);
            if (secretEvent.Kind == SecretEventKind.Expired)
            {
                Logs.SecretExpired(logger, secretEvent.SecretName, record.PartitionKey, record.RowKey, secretEvent.ExpiresOn);
            }
            else
            {
                Logs.SecretNearExpiry(logger, secretEvent.SecretName, record.PartitionKey, record.RowKey, secretEvent.ExpiresOn);
            }

            flagged++;
        }

        return flagged;
    }

    /// <summary>
    /// Events of another vault are not ours. The vault name is the first label of a real vault's host
    /// (<c>name.vault.azure.net</c> and sovereign clouds); local secrets and stand-ins accept any.
    /// </summary>
    private bool IsOurVault(KeyVaultSecretEvent secretEvent) =>
        secretOptions.Value.KeyVaultUri is not { } vault
        || !vault.Host.Contains(".vault.", StringComparison.OrdinalIgnoreCase)
        || string.Equals(vault.Host.Split('.')[0], secretEvent.VaultName, StringComparison.OrdinalIgnoreCase);
}
