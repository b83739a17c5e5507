using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.DurableTask.Client;

namespace AdlsOnboarding.Workflow.Registry;

/// <summary>What a registration did.</summary>
public enum RegistrationOutcome
{
    Created,
    Updated,
    Unchanged,

    /// <summary>The account is being onboarded; its registration cannot change until that ends.</summary>
    Conflict,
}

/// <summary>
/// The account registry: the account records, written by portals and operators (<c>PUT</c>) and read by the sweep.
/// Registering is idempotent; a changed registration makes the account <c>Pending</c> again, which is also how a
/// permanently failed account becomes eligible for another attempt. While an operation of the account runs (asked of
/// the durable client, not read from the record, which an operation writes only once it has begun), a change is
/// refused; an account whose record says an operation runs when none does (it failed or was terminated) can be
/// registered again, which is the way out of that state.
/// </summary>
public sealed class AccountRegistry(AccountRecordStore records, OnboardingRequestValidator validator)
{
    public async Task<(RegistrationOutcome Outcome, AccountRecord Record, string? RunningInstanceId)> RegisterAsync(DurableTaskClient client, ValidOnboardingRequest registration, CancellationToken cancellationToken = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            AccountRecord? current = await records.GetAsync(registration.Sandbox, registration.AccountName, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                if (await records.TryRegisterAsync(AccountRegistration.Of(registration), cancellationToken).ConfigureAwait(false))
                {
                    return (RegistrationOutcome.Created, await ReadAsync(registration, cancellationToken).ConfigureAwait(false), null);
                }

                continue;
            }

            // Read after the record: an operation scheduled after this check writes the record, which fails the
            // conditional write below (and the next round sees it running); one that only wrote after it finds a
            // newer registration revision and leaves the registration alone (AccountRecordStore.WriteRunAsync).
            string? running = await OnboardingStarter.ActiveOperationAsync(client, registration.Sandbox, registration.AccountName, cancellationToken).ConfigureAwait(false);
            bool same = current.RegistrationFingerprint == registration.Fingerprint;
            if (same && (running is not null || IsSettled(current)))
            {
                return (RegistrationOutcome.Unchanged, current, running);
            }

            if (running is not null)
            {
                return (RegistrationOutcome.Conflict, current, running);
            }

            if (await records.TryChangeRegistrationAsync(AccountRegistration.Of(registration), current, cancellationToken).ConfigureAwait(false))
            {
                return (RegistrationOutcome.Updated, await ReadAsync(registration, cancellationToken).ConfigureAwait(false), null);
            }

            if (attempt == 5)
            {
                throw new InvalidOperationException($"The record of {registration.Sandbox}/{registration.AccountName} keeps changing; try again.");
            }
        }
    }

    /// <summary>
    /// Whether registering the same request again has nothing to do: the account is waiting, connected, or failed in
    /// a way the same registration would repeat. Not when the record says an operation runs (none does: it ended
    /// without its last mark), after an offboarding, or while the account waits for an operator (<see cref="AccountErrorCodes.IsOperatorHold"/>).
    /// </summary>
    private static bool IsSettled(AccountRecord record) =>
        record.Status is OnboardingStatus.Pending or OnboardingStatus.Connected
        || (record.Status is OnboardingStatus.Failed && !AccountErrorCodes.IsOperatorHold(record.ErrorCode));

    private async Task<AccountRecord> ReadAsync(ValidOnboardingRequest registration, CancellationToken cancellationToken) =>
        await records.GetAsync(registration.Sandbox, registration.AccountName, cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException("The record vanished after it was written.");

    /// <summary>
    /// The onboarding request a record stands for; null when the stored registration does not pass today's rules (it
    /// may have been written under older ones, e.g. naming a secret that is now reserved for the app).
    /// </summary>
    public ValidOnboardingRequest? RequestOf(AccountRecord record) => RequestOf(record, out _);

    /// <inheritdoc cref="RequestOf(AccountRecord)"/>
    /// <param name="record">The stored record.</param>
    /// <param name="errors">Why it does not pass, by field (empty when it does).</param>
    public ValidOnboardingRequest? RequestOf(AccountRecord record, out Dictionary<string, string[]> errors)
    {
        OnboardingRequest request = new(
            record.StorageAccountUrl, record.ClientId, record.Tenant, record.SecretName,
            string.IsNullOrEmpty(record.RequestedSecretVersion) ? null : record.RequestedSecretVersion,
            record.PartitionKey, record.ConnectionName, record.Description,
            string.IsNullOrEmpty(record.AdoptConnectionId) ? null : record.AdoptConnectionId);
        if (!validator.TryValidate(request, out ValidOnboardingRequest? valid, out errors))
        {
            return null;
        }

        if (valid.AccountName != record.RowKey)
        {
            errors = new() { ["storageAccountUrl"] = ["Must name the record's own account."] };
            return null;
        }

        return valid;
    }
}
