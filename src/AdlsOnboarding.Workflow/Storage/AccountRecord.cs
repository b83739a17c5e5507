using AdlsOnboarding.Workflow.Onboarding;
using Azure;
using Azure.Data.Tables;

namespace AdlsOnboarding.Workflow.Storage;

/// <summary>
/// An account's record in Table Storage: partition = sandbox, row = storage account name. It is the one place
/// every feature (onboarding, registry, rotation, offboarding) reads and writes about an account. No secrets.
/// </summary>
public sealed class AccountRecord : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>Stored by name (<c>Connected</c>); absent on a record that only ever got a write-ahead mark.</summary>
    public OnboardingStatus? Status { get; set; }

    public string? LastAction { get; set; }

    public string? StorageAccountUrl { get; set; }

    public string? ClientId { get; set; }

    public string? Tenant { get; set; }

    public string? SecretName { get; set; }

    public string? SecretVersion { get; set; }

    public string? ConnectionName { get; set; }

    public string? Description { get; set; }

    /// <summary>The key version the registration pins; empty: the current version at each onboarding.</summary>
    public string? RequestedSecretVersion { get; set; }

    /// <summary>Fingerprint of the registered request: a change makes a failed account eligible again.</summary>
    public string? RegistrationFingerprint { get; set; }

    /// <summary>
    /// Raised by each changed registration (<c>PUT</c>); an onboarding carries the revision its input was read at, and
    /// its marks never overwrite a higher one. Absent on records written before it existed (read as 0).
    /// </summary>
    public long? RegistrationRevision { get; set; }

    public string? ConnectionId { get; set; }

    public string? ConnectionEtag { get; set; }

    /// <summary>
    /// Adobe's <c>createdClient</c> of the recorded connection (our IMS client id for a connection the app created; the
    /// creator's for one adopted with <c>adoptConnectionId</c>): checked again before every PATCH and DELETE.
    /// </summary>
    public string? ConnectionCreatedClient { get; set; }

    /// <summary>The connection the registration asks to adopt (<c>adoptConnectionId</c>); empty: none.</summary>
    public string? AdoptConnectionId { get; set; }

    /// <summary>Result of Adobe's <c>/test</c> call; null when it could not be made.</summary>
    public bool? CredentialTestPassed { get; set; }

    /// <summary>Durable activity attempts of the last onboarding.</summary>
    public int? AttemptCount { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    public string? Warning { get; set; }

    /// <summary>Adobe's own view after the create (explore): whether it could list the account; null: not known.</summary>
    public bool? AdobeCanList { get; set; }

    /// <summary>
    /// A key version a rotation did not send (refused by the pre-flight, or not usable yet); empty when none. While
    /// <see cref="NextAttemptAt"/> lies ahead, the sweep does not try that version again.
    /// </summary>
    public string? PendingSecretVersion { get; set; }

    /// <summary>The W3C trace id of the last operation, so a portal can link to its trace.</summary>
    public string? TraceId { get; set; }

    /// <summary>Why the last onboarding ran: Api, Sweep, SecretRotated, SecretVersionDrift.</summary>
    public string? LastTrigger { get; set; }

    /// <summary>When Adobe last received a new key version for this connection.</summary>
    public DateTimeOffset? RotatedAt { get; set; }

    /// <summary>Key Vault said the key expires soon (or the sweep saw it): rotate it.</summary>
    public bool? SecretNearExpiry { get; set; }

    /// <summary>Whether the last failure's cause is transient, so the registry sweep will try again.</summary>
    public bool? ErrorTransient { get; set; }

    /// <summary>Failures in a row; drives the sweep's backoff for this account.</summary>
    public int? ConsecutiveFailures { get; set; }

    /// <summary>When the sweep may start this account again after a transient failure.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    public string? InstanceId { get; set; }

    /// <summary>The status the account had when its (first unfinished) offboarding began: a refusal restores it.</summary>
    public OnboardingStatus? StatusBeforeOffboarding { get; set; }

    /// <summary>
    /// Write-ahead mark: set just before a <c>POST /connections</c> and cleared once the id is recorded. While set,
    /// the POST may have happened, so the next attempt looks the connection up before it creates one.
    /// </summary>
    public bool? CreatePending { get; set; }

    /// <summary>Until this time a create may still be in flight; another attempt waits rather than posts.</summary>
    public DateTimeOffset? CreateLeaseUntil { get; set; }

    public DateTimeOffset? CreateAttemptedAt { get; set; }

    /// <summary>The key version the pending create sent: a connection found later with it is this create's result.</summary>
    public string? CreateSecretVersion { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }
}
