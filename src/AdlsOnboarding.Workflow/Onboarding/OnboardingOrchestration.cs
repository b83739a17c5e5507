using System.Diagnostics;
using AdlsOnboarding.Workflow.Rotation;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// Onboards one ADLS Gen2 account: resolve the key's version in Key Vault → create (or reuse, or update) the Adobe
/// base connection → record the result. One instance per (sandbox, account). Deterministic: no I/O here, durable
/// time only, replay-safe logging; secrets never enter inputs, outputs or failures.
/// </summary>
public sealed class OnboardingOrchestration : TaskOrchestrator<OnboardingInput, OnboardingOutcome>
{
    public override async Task<OnboardingOutcome> RunAsync(TaskOrchestrationContext context, OnboardingInput input)
    {
        ILogger logger = context.CreateReplaySafeLogger(nameof(OnboardingOrchestration));
        TaskOptions retry = DurableRetry.Options(input.Retry);
        AttemptCounter createAttempts = new();
        OnboardingRun run = OnboardingRun.Of(input, context.InstanceId);
        Logs.OnboardingStarted(logger, context.InstanceId, input.Sandbox, input.AccountName);

        string? triedVersion = null;
        try
        {
            // Inside the try: the first mark reads the record (to leave a newer registration alone), and a refused
            // read ends as a recorded failure like any other.
            await context.CallActivityAsync(nameof(SaveAccountRecordActivity), AccountRecordChange.Onboarding(run), retry);

            SecretVersionInfo secret = await context.CallActivityAsync<SecretVersionInfo>(
                nameof(ResolveSecretVersionActivity), new ResolveSecretVersionInput(input.SecretName, input.SecretVersion, input.Binding, input.TraceParent), retry);
            triedVersion = secret.Version;

            ConnectionResult connection = await context.CallActivityAsync<ConnectionResult>(
                nameof(CreateConnectionActivity),
                new CreateConnectionInput(input, secret.Version, context.InstanceId),
                DurableRetry.Options(input.Retry, createAttempts));

            DateTimeOffset? rotatedAt = connection.Action == ConnectionAction.Updated && input.Trigger is OnboardingTriggers.SecretRotated or OnboardingTriggers.SecretVersionDrift
                ? context.CurrentUtcDateTime
                : null;
            await context.CallActivityAsync(
                nameof(SaveAccountRecordActivity),
                AccountRecordChange.Connected(run, new ConnectedAccount(
                    connection.ConnectionId, connection.Etag, secret.Version, connection.Action, connection.CredentialTestPassed, createAttempts.Retries + 1, connection.Warning, rotatedAt)
                { AdobeCanList = connection.AdobeCanList }),
                retry);

            Logs.OnboardingConnected(logger, context.InstanceId, input.Sandbox, input.AccountName, connection.ConnectionId, connection.Action);
            return new OnboardingOutcome(
                input.Sandbox, input.AccountName, OnboardingStatus.Connected, connection.ConnectionId, connection.Etag, input.ConnectionName,
                connection.Action, connection.CredentialTestPassed, secret.Version, null, null, connection.Warning, context.CurrentUtcDateTime)
            { AdobeCanList = connection.AdobeCanList };
        }
        catch (TaskFailedException ex)
        {
            // Permanent failures, and transient ones that outlived the retry budget, end here: the orchestration
            // completes with a failed outcome, and the record says why.
            ClassifiedFailure failure = ClassifiedFailure.Of(ex.FailureDetails, logger, context.InstanceId);

            if (RotationHolds.Applies(input.Trigger, failure))
            {
                // A rotation whose new version was not sent leaves the working connection as it is (issue 14 item 5, 17 item 1).
                HeldRotation? held = await context.CallActivityAsync<HeldRotation?>(
                    nameof(HoldRotationActivity), new HoldRotationInput(run, failure.Code, failure.PublicMessage, triedVersion), retry);
                if (held is not null)
                {
                    Logs.OnboardingConnected(logger, context.InstanceId, input.Sandbox, input.AccountName, held.ConnectionId, ConnectionAction.Reused);
                    return new OnboardingOutcome(
                        input.Sandbox, input.AccountName, OnboardingStatus.Connected, held.ConnectionId, held.ConnectionEtag, input.ConnectionName,
                        ConnectionAction.Reused, null, held.SecretVersion, null, null, held.Warning, context.CurrentUtcDateTime);
                }
            }

            await context.CallActivityAsync(
                nameof(SaveAccountRecordActivity),
                AccountRecordChange.Failed(run, new AccountFailure(failure.Code, failure.PublicMessage, failure.IsTransient, createAttempts.Retries + 1)),
                retry);

            Logs.OnboardingFailed(logger, context.InstanceId, input.Sandbox, input.AccountName, failure.Code, failure.IsTransient);
            return new OnboardingOutcome(
                input.Sandbox, input.AccountName, OnboardingStatus.Failed, null, null, input.ConnectionName,
                null, null, null, failure.Code, failure.PublicMessage, null, context.CurrentUtcDateTime);
        }
    }
}

public sealed record ResolveSecretVersionInput(string SecretName, string? SecretVersion, SecretBinding Binding, string? TraceParent = null);

/// <summary>
/// Checks the service principal key in Key Vault (bound to the request's service principal and account by its tags,
/// enabled, valid) and returns its version id, never its value.
/// </summary>
public sealed class ResolveSecretVersionActivity(ServicePrincipalKeys keys) : IWorkflowActivity<ResolveSecretVersionInput, SecretVersionInfo>
{
    public async Task<SecretVersionInfo> RunAsync(ResolveSecretVersionInput input, CancellationToken cancellationToken = default)
    {
        using Activity? span = WorkflowTelemetry.StartSpan(nameof(ResolveSecretVersionActivity), input.TraceParent);
        span?.SetTag("adls.secret_name", input.SecretName);

        // An input scheduled by a release that did not carry the binding binds nothing (fail closed).
        SecretBinding binding = input.Binding ?? new SecretBinding("", "", "");
        return await keys.ResolveAsync(input.SecretName, input.SecretVersion, binding, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Ensures the account's Adobe base connection exists with the requested credentials, then tests it.</summary>
public sealed class CreateConnectionActivity(ConnectionReconciler reconciler, ILogger<CreateConnectionActivity> logger) : IWorkflowActivity<CreateConnectionInput, ConnectionResult>
{
    public async Task<ConnectionResult> RunAsync(CreateConnectionInput input, CancellationToken cancellationToken = default)
    {
        using Activity? span = WorkflowTelemetry.StartSpan(nameof(CreateConnectionActivity), input.Onboarding.TraceParent);
        span?.SetTag("adls.sandbox", input.Onboarding.Sandbox);
        span?.SetTag("adls.account", input.Onboarding.AccountName);
        using IDisposable? scope = Logs.OnboardingScope(logger, input.InstanceId, input.Onboarding.Sandbox, input.Onboarding.AccountName);
        ConnectionResult result = await reconciler.EnsureConnectionAsync(input, cancellationToken).ConfigureAwait(false);
        span?.SetTag("adls.connection_action", result.Action.ToString());
        return result;
    }
}

/// <summary>
/// Records a step of an onboarding or offboarding on the account's record, through the store's mark of the same
/// name (which also sets when the registry sweep may retry a failed account).
/// </summary>
public sealed class SaveAccountRecordActivity(AccountRecordStore records, WorkflowMetrics metrics, ILogger<SaveAccountRecordActivity> logger) : IWorkflowActivity<AccountRecordChange, bool>
{
    public async Task<bool> RunAsync(AccountRecordChange input, CancellationToken cancellationToken = default)
    {
        using Activity? span = WorkflowTelemetry.StartSpan(nameof(SaveAccountRecordActivity), input.Run?.TraceParent);
        span?.SetTag("adls.status", input.Status.ToString());
        using IDisposable? scope = Logs.OnboardingScope(logger, input.InstanceId, input.Sandbox, input.AccountName);
        switch (input.Mark)
        {
            case AccountRecordMark.Onboarding:
                await records.MarkOnboardingAsync(Required(input.Run), cancellationToken: cancellationToken).ConfigureAwait(false);
                break;
            case AccountRecordMark.Connected:
                Completed(input, await records.MarkConnectedAsync(Required(input.Run), Required(input.Connection), cancellationToken).ConfigureAwait(false));
                break;
            case AccountRecordMark.Failed:
                Completed(input, await records.MarkFailedAsync(Required(input.Run), Required(input.Failure), cancellationToken).ConfigureAwait(false));
                break;
            case AccountRecordMark.Offboarding:
                await records.MarkOffboardingAsync(input.Sandbox, input.AccountName, input.InstanceId, cancellationToken).ConfigureAwait(false);
                break;
            case AccountRecordMark.Offboarded:
                await records.MarkOffboardedAsync(input.Sandbox, input.AccountName, input.InstanceId, Required(input.Deletion), cancellationToken).ConfigureAwait(false);
                break;
            case AccountRecordMark.OffboardingRefused:
                await records.MarkOffboardingRefusedAsync(
                    input.Sandbox, input.AccountName, input.InstanceId, input.Status, Required(input.Failure).Code, Required(input.Failure).Message, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(input), input.Mark, "Unknown record mark.");
        }

        return true;
    }

    /// <summary>
    /// Counts an ended onboarding by what its mark actually wrote: a run whose registration changed meanwhile leaves the
    /// account <c>Pending</c> (superseded) and is counted so, not as the outcome it carried.
    /// </summary>
    private void Completed(AccountRecordChange input, OnboardingStatus written) =>
        metrics.Completed(
            input.Sandbox, written.ToString(), written == OnboardingStatus.Failed ? input.Failure?.Code : null, input.Connection?.AttemptCount ?? input.Failure?.AttemptCount);

    private static T Required<T>(T? value) where T : class => value ?? throw new ArgumentException($"The record mark needs its {typeof(T).Name}.");

    private static T Required<T>(T? value) where T : struct => value ?? throw new ArgumentException($"The record mark needs its {typeof(T).Name}.");
}
