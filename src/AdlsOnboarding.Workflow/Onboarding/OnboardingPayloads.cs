using System.Text.Json.Serialization;
using AdlsOnboarding.Workflow.Secrets;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// The orchestration input. It carries what the request asked for and the retry settings in force when it was
/// accepted, so that replays stay deterministic; it never carries a secret.
/// </summary>
public sealed record OnboardingInput(
    string Sandbox,
    string AccountName,
    string StorageAccountUrl,
    string ClientId,
    string Tenant,
    string SecretName,
    string? SecretVersion,
    string ConnectionName,
    string Description,
    string Fingerprint,
    OnboardingRetrySettings Retry,
    string? Trigger = null,
    string? TraceParent = null,
    string? AdoptConnectionId = null,
    long? RegistrationRevision = null)
{
    /// <summary>Whom the service principal key must be bound to (<see cref="Secrets.SecretBindingTags"/>).</summary>
    [JsonIgnore]
    public SecretBinding Binding => new(ClientId, Tenant, AccountName, Sandbox);

    /// <summary>
    /// The input of an onboarding of <paramref name="request"/>; <paramref name="registrationRevision"/> is the
    /// revision of the account record at the moment the request was read (from the record, or before scheduling).
    /// </summary>
    public static OnboardingInput From(ValidOnboardingRequest request, OnboardingRetrySettings retry, string? trigger = null, long? registrationRevision = null) => new(
        request.Sandbox, request.AccountName, request.StorageAccountUrl, request.ClientId, request.Tenant,
        request.SecretName, request.SecretVersion, request.ConnectionName, request.Description, request.Fingerprint, retry, trigger,
        AdoptConnectionId: request.AdoptConnectionId, RegistrationRevision: registrationRevision);
}

/// <summary>Why an onboarding runs (recorded on the account).</summary>
public static class OnboardingTriggers
{
    public const string Api = "Api";
    public const string Sweep = "Sweep";
    public const string SecretRotated = "SecretRotated";
    public const string SecretVersionDrift = "SecretVersionDrift";
}

/// <summary>Durable retry settings for the activities, copied into each orchestration's input.</summary>
public sealed record OnboardingRetrySettings(
    int MaxAttempts,
    TimeSpan FirstRetryInterval,
    double BackoffCoefficient,
    TimeSpan MaxRetryInterval,
    TimeSpan MaxTotalRetryTime);

/// <summary>Input of the create-connection activity: the request plus the secret version resolved before it (its trace context in <see cref="OnboardingInput.TraceParent"/>).</summary>
public sealed record CreateConnectionInput(OnboardingInput Onboarding, string SecretVersion, string InstanceId);

/// <summary>What happened to the Adobe connection.</summary>
public enum ConnectionAction
{
    Created,
    Reused,
    Updated,
}

/// <summary>Result of the create-connection activity: ids only, never credentials.</summary>
public sealed record ConnectionResult(
    string ConnectionId,
    string Etag,
    ConnectionAction Action,
    bool? CredentialTestPassed,
    string? Warning)
{
    /// <summary>After a create: whether Adobe could list the account (explore); null when not asked or no answer.</summary>
    public bool? AdobeCanList { get; init; }
}

/// <summary>The orchestration output: the outcome of one onboarding, successful or not.</summary>
public sealed record OnboardingOutcome(
    string Sandbox,
    string AccountName,
    OnboardingStatus Status,
    string? ConnectionId,
    string? Etag,
    string? ConnectionName,
    ConnectionAction? Action,
    bool? CredentialTestPassed,
    string? SecretVersion,
    string? ErrorCode,
    string? ErrorMessage,
    string? Warning,
    DateTimeOffset CompletedAt)
{
    /// <summary>After a create: whether Adobe could list the account (explore); null when not asked or no answer.</summary>
    public bool? AdobeCanList { get; init; }
}
