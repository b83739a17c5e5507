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

/// <summary>The onboarding that writes: its instance, why it runs (<see cref="OnboardingTriggers"/>), its trace.</summary>
public sealed record OnboardingRun(AccountRegistration Registration, string InstanceId, string Trigger, string? TraceParent)
{
    public static OnboardingRun Of(OnboardingInput input, string instanceId) =>
        new(AccountRegistration.Of(input), instanceId, input.Trigger ?? OnboardingTriggers.Api, input.TraceParent);
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
    DateTimeOffset? RotatedAt);

/// <summary>Why an onboarding failed, as the record shows it.</summary>
public sealed record AccountFailure(string Code, string Message, bool IsTransient, int? AttemptCount);
