using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;

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
/// permanently failed account becomes eligible for another attempt.
/// </summary>
public sealed class AccountRegistry(AccountRecordStore records, OnboardingRequestValidator validator)
{
    public async Task<(RegistrationOutcome Outcome, AccountRecord Record)> RegisterAsync(ValidOnboardingRequest registration, CancellationToken cancellationToken = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            AccountRecord? current = await records.GetAsync(registration.Sandbox, registration.AccountName, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                if (await records.TryRegisterAsync(AccountRegistration.Of(registration), cancellationToken).ConfigureAwait(false))
                {
                    return (RegistrationOutcome.Created, await ReadAsync(registration, cancellationToken).ConfigureAwait(false));
                }
            }
            else if (current.RegistrationFingerprint == registration.Fingerprint && current.Status != OnboardingStatus.Offboarded)
            {
                return (RegistrationOutcome.Unchanged, current);
            }
            else if (current.Status is OnboardingStatus.Onboarding or OnboardingStatus.Offboarding)
            {
                return (RegistrationOutcome.Conflict, current);
            }
            else if (await records.TryChangeRegistrationAsync(AccountRegistration.Of(registration), current.ETag, cancellationToken).ConfigureAwait(false))
            {
                return (RegistrationOutcome.Updated, await ReadAsync(registration, cancellationToken).ConfigureAwait(false));
            }

            if (attempt == 5)
            {
                throw new InvalidOperationException($"The record of {registration.Sandbox}/{registration.AccountName} keeps changing; try again.");
            }
        }
    }

    private async Task<AccountRecord> ReadAsync(ValidOnboardingRequest registration, CancellationToken cancellationToken) =>
        await records.GetAsync(registration.Sandbox, registration.AccountName, cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException("The record vanished after it was written.");

    /// <summary>
    /// The onboarding request a record stands for; null when the stored registration does not pass today's rules
    /// (it may have been written under older ones, e.g. naming a secret that is now reserved for the app).
    /// </summary>
    public ValidOnboardingRequest? RequestOf(AccountRecord record)
    {
        OnboardingRequest request = new(
            record.StorageAccountUrl, record.ClientId, record.Tenant, record.SecretName,
            string.IsNullOrEmpty(record.RequestedSecretVersion) ? null : record.RequestedSecretVersion,
            record.PartitionKey, record.ConnectionName, record.Description,
            string.IsNullOrEmpty(record.AdoptConnectionId) ? null : record.AdoptConnectionId);
        return validator.TryValidate(request, out ValidOnboardingRequest? valid, out _) && valid.AccountName == record.RowKey ? valid : null;
    }
}
