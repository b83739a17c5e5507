using System.Diagnostics;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow.Rotation;

/// <summary>
/// Which failures of a key rotation leave the connection as it is rather than fail the account: the new version
/// failed the pre-flight (Adobe keeps a key that works until it expires), or it is not usable yet (a future
/// <c>nbf</c>, disabled, expired, or not bound to the service principal by its tags: an operator's staged or
/// unfinished rotation). Transient failures are not among them: they are retried like any other.
/// </summary>
public static class RotationHolds
{
    public static bool Applies(string? trigger, ClassifiedFailure failure) =>
        trigger is OnboardingTriggers.SecretRotated or OnboardingTriggers.SecretVersionDrift
        && !failure.IsTransient
        && (failure.Code.StartsWith("Preflight", StringComparison.Ordinal)
            || failure.Code is SecretErrorCodes.NotYetValid or SecretErrorCodes.Disabled or SecretErrorCodes.Expired or SecretErrorCodes.Unavailable);
}

/// <summary>Input of <see cref="HoldRotationActivity"/>: the run, the failure, and the version it concerned if known.</summary>
public sealed record HoldRotationInput(OnboardingRun Run, string Code, string Message, string? PendingVersion);

/// <summary>
/// Keeps a connected account connected when its rotation did not send the new version
/// (<see cref="AccountRecordStore.HoldRotationAsync"/>), naming that version and, when it is staged, its <c>nbf</c>,
/// which becomes the record's <c>NextAttemptAt</c>. Returns null when the account has no connection to keep.
/// </summary>
public sealed class HoldRotationActivity(AccountRecordStore records, ServicePrincipalKeys keys, ILogger<HoldRotationActivity> logger) : IWorkflowActivity<HoldRotationInput, HeldRotation?>
{
    public async Task<HeldRotation?> RunAsync(HoldRotationInput input, CancellationToken cancellationToken = default)
    {
        AccountRegistration registration = input.Run.Registration;
        using Activity? span = WorkflowTelemetry.StartSpan(nameof(HoldRotationActivity), input.Run.TraceParent);
        using IDisposable? scope = Logs.OnboardingScope(logger, input.Run.InstanceId, registration.Sandbox, registration.AccountName);
        SecretVersionProperties? pending = await PendingVersionAsync(registration, input.PendingVersion, cancellationToken).ConfigureAwait(false);
        HeldRotation? held = await records.HoldRotationAsync(
            input.Run, new RotationHold(input.Code, input.Message, pending?.Version ?? input.PendingVersion, pending?.NotBefore), cancellationToken).ConfigureAwait(false);
        if (held is not null)
        {
            Logs.RotationHeld(logger, registration.Sandbox, registration.AccountName, input.Code, held.SecretVersion, pending?.Version ?? input.PendingVersion);
        }

        return held;
    }

    /// <summary>The version the rotation was about: the one it tried, else the pinned one, else the newest (its properties only).</summary>
    private async Task<SecretVersionProperties?> PendingVersionAsync(AccountRegistration registration, string? tried, CancellationToken cancellationToken)
    {
        try
        {
            SecretVersions versions = await keys.ListAsync(registration.SecretName, cancellationToken).ConfigureAwait(false);
            string? wanted = tried ?? (string.IsNullOrEmpty(registration.RequestedSecretVersion) ? null : registration.RequestedSecretVersion);
            return wanted is not null ? versions.Find(wanted) : versions.Newest().FirstOrDefault();
        }
        catch (SecretStoreException)
        {
            // The warning then names what the failure said; the sweep compares versions again anyway.
            return null;
        }
    }
}
