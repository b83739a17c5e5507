using AdlsOnboarding.Workflow.Onboarding;

namespace AdlsOnboarding.Workflow.Storage;

/// <summary>What an account is registered with, as its record keeps it (the onboarding request's fields).</summary>
public sealed record AccountRegistration(
    string Sandbox,
    string AccountName,
    string StorageAccountUrl,
    string ClientId,
    string Tenant,
    string SecretName,
    string? RequestedSecretVersion,
    string ConnectionName,
    string Description,
    string Fingerprint,
    string? AdoptConnectionId = null)
{
    public static AccountRegistration Of(ValidOnboardingRequest request) => new(
        request.Sandbox, request.AccountName, request.StorageAccountUrl, request.ClientId, request.Tenant, request.SecretName,
        request.SecretVersion, request.ConnectionName, request.Description, request.Fingerprint, request.AdoptConnectionId);

    public static AccountRegistration Of(OnboardingInput input) => new(
        input.Sandbox, input.AccountName, input.StorageAccountUrl, input.ClientId, input.Tenant, input.SecretName,
        input.SecretVersion, input.ConnectionName, input.Description, input.Fingerprint, input.AdoptConnectionId);
}

/// <summary>
/// The onboarding that writes: its instance, why it runs (<see cref="OnboardingTriggers"/>), its trace, and the
/// registration revision its input was read at (<see cref="AccountRecord.RegistrationRevision"/>), when it was read
/// from the record (the sweep, rotation). Null for a request that is itself a registration (<c>POST
/// /api/onboardings</c>) and for inputs scheduled before revisions existed: such a run writes its registration
/// whatever the revision.
/// </summary>
public sealed record OnboardingRun(AccountRegistration Registration, string InstanceId, string Trigger, string? TraceParent, long? RegistrationRevision = null)
{
    public static OnboardingRun Of(OnboardingInput input, string instanceId) =>
        new(AccountRegistration.Of(input), instanceId, input.Trigger ?? OnboardingTriggers.Api, input.TraceParent, input.RegistrationRevision);
}

/// <summary>The connection an onboarding ended with: ids, the key version Adobe holds, the test result. No secrets.</summary>
public sealed record ConnectedAccount(
    string ConnectionId,
    string ConnectionEtag,
    string SecretVersion,
    ConnectionAction Action,
    bool? CredentialTestPassed,
    int AttemptCount,
    string? Warning,
    DateTimeOffset? RotatedAt)
{
    /// <summary>After a create: whether Adobe could list the account (explore); null when not asked (kept as it was).</summary>
    public bool? AdobeCanList { get; init; }

    /// <summary>
    /// Adobe's <c>createdClient</c> of the connection, when this mark also records the connection the run found or made
    /// (and ends the write-ahead mark); null when an earlier write recorded it (<see cref="AccountRecordStore.RecordConnectionAsync"/>).
    /// </summary>
    public string? CreatedClient { get; init; }

    /// <summary>With <see cref="CreatedClient"/>: whether this run sent the key version to Adobe.</summary>
    public bool KeySent { get; init; }
}

/// <summary>
/// A key rotation that did not send the new version (it failed the pre-flight, or is not usable yet: future
/// <c>nbf</c>, disabled, not bound by its tags): the account stays connected with the version Adobe has.
/// </summary>
public sealed record RotationHold(string Code, string Message, string? PendingVersion, DateTimeOffset? PendingNotBefore);

/// <summary>What a held rotation left on the record: the connection Adobe keeps, its key version, the warning, when the sweep tries again.</summary>
public sealed record HeldRotation(string ConnectionId, string ConnectionEtag, string SecretVersion, string Warning, DateTimeOffset? NextAttemptAt);

/// <summary>Why an onboarding failed, as the record shows it.</summary>
public sealed record AccountFailure(string Code, string Message, bool IsTransient, int? AttemptCount);

/// <summary>
/// Error codes the workflow itself records on an account (beside Adobe's, Key Vault's and Table Storage's). Some put
/// the account on hold: the sweep and rotation leave it alone until an operator registers it again (<c>PUT</c>) or
/// offboards it (<c>DELETE</c>).
/// </summary>
public static class AccountErrorCodes
{
    /// <summary>The stored registration does not pass today's rules (re-validated by the sweep).</summary>
    public const string InvalidRegistration = "InvalidRegistration";

    /// <summary>An operator terminated the account's onboarding: it is not started again until the account is re-registered.</summary>
    public const string OnboardingTerminated = "OnboardingTerminated";

    public static bool IsOperatorHold(string? errorCode) => errorCode is InvalidRegistration or OnboardingTerminated;
}
