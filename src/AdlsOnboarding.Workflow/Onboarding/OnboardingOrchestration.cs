using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
        Logs.OnboardingStarted(logger, context.InstanceId, input.Sandbox, input.AccountName);

        await context.CallActivityAsync(nameof(SaveAccountRecordActivity), Record(input, context.InstanceId, OnboardingStatus.Onboarding, "OnboardingStarted"), retry);

        try
        {
            SecretVersionInfo secret = await context.CallActivityAsync<SecretVersionInfo>(
                nameof(ResolveSecretVersionActivity), new ResolveSecretVersionInput(input.SecretName, input.SecretVersion, input.TraceParent), retry);

            ConnectionResult connection = await context.CallActivityAsync<ConnectionResult>(
                nameof(CreateConnectionActivity),
                new CreateConnectionInput(input, secret.Version, context.InstanceId),
                DurableRetry.Options(input.Retry, createAttempts));

            await context.CallActivityAsync(
                nameof(SaveAccountRecordActivity),
                Record(input, context.InstanceId, OnboardingStatus.Connected, $"Connection{connection.Action}") with
                {
                    SecretVersion = secret.Version,
                    ConnectionId = connection.ConnectionId,
                    ConnectionEtag = connection.Etag,
                    CredentialTestPassed = connection.CredentialTestPassed,
                    AttemptCount = createAttempts.Retries + 1,
                    Warning = connection.Warning ?? "",
                    RotatedAt = connection.Action == ConnectionAction.Updated && input.Trigger is OnboardingTriggers.SecretRotated or OnboardingTriggers.SecretVersionDrift
                        ? context.CurrentUtcDateTime
                        : null,
                    ClearError = true,
                },
                retry);

            Logs.OnboardingConnected(logger, context.InstanceId, input.Sandbox, input.AccountName, connection.ConnectionId, connection.Action);
            return new OnboardingOutcome(
                input.Sandbox, input.AccountName, OnboardingStatus.Connected, connection.ConnectionId, connection.Etag, input.ConnectionName,
                connection.Action, connection.CredentialTestPassed, secret.Version, null, null, connection.Warning, context.CurrentUtcDateTime);
        }
        catch (TaskFailedException ex)
        {
            // Permanent failures, and transient ones that outlived the retry budget, end here: the orchestration
            // completes with a failed outcome, and the record says why.
            ClassifiedFailure failure = ClassifiedFailure.Of(ex.FailureDetails);
            await context.CallActivityAsync(
                nameof(SaveAccountRecordActivity),
                Record(input, context.InstanceId, OnboardingStatus.Failed, "OnboardingFailed") with
                {
                    AttemptCount = createAttempts.Retries + 1,
                    ErrorCode = failure.Code,
                    ErrorMessage = failure.Detail,
                    ErrorTransient = failure.IsTransient,
                },
                retry);

            Logs.OnboardingFailed(logger, context.InstanceId, input.Sandbox, input.AccountName, failure.Code, failure.IsTransient);
            return new OnboardingOutcome(
                input.Sandbox, input.AccountName, OnboardingStatus.Failed, null, null, input.ConnectionName,
                null, null, null, failure.Code, failure.Detail, null, context.CurrentUtcDateTime);
        }
    }

    private static AccountRecordUpdate Record(OnboardingInput input, string instanceId, OnboardingStatus status, string action) => new(
        input.Sandbox, input.AccountName, status, action,
        InstanceId: instanceId,
        StorageAccountUrl: input.StorageAccountUrl,
        ClientId: input.ClientId,
        Tenant: input.Tenant,
        SecretName: input.SecretName,
        ConnectionName: input.ConnectionName,
        Description: input.Description,
        RequestedSecretVersion: input.SecretVersion ?? "",
        RegistrationFingerprint: input.Fingerprint,
        LastTrigger: input.Trigger ?? OnboardingTriggers.Api,
        TraceParent: input.TraceParent);
}

public sealed record ResolveSecretVersionInput(string SecretName, string? SecretVersion, string? TraceParent = null);

/// <summary>Checks the service principal key in Key Vault and returns its version id, never its value.</summary>
public sealed class ResolveSecretVersionActivity(ISecretStore secrets) : IWorkflowActivity<ResolveSecretVersionInput, SecretVersionInfo>
{
    public async Task<SecretVersionInfo> RunAsync(ResolveSecretVersionInput input, CancellationToken cancellationToken = default)
    {
        using System.Diagnostics.Activity? span = Telemetry.WorkflowTelemetry.StartSpan(nameof(ResolveSecretVersionActivity), input.TraceParent);
        span?.SetTag("adls.secret_name", input.SecretName);
        return await secrets.ResolveVersionAsync(input.SecretName, input.SecretVersion, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Ensures the account's Adobe base connection exists with the requested credentials, then tests it.</summary>
public sealed class CreateConnectionActivity(ConnectionReconciler reconciler, ILogger<CreateConnectionActivity> logger) : IWorkflowActivity<CreateConnectionInput, ConnectionResult>
{
    public async Task<ConnectionResult> RunAsync(CreateConnectionInput input, CancellationToken cancellationToken = default)
    {
        using System.Diagnostics.Activity? span = Telemetry.WorkflowTelemetry.StartSpan(nameof(CreateConnectionActivity), input.Onboarding.TraceParent);
        span?.SetTag("adls.sandbox", input.Onboarding.Sandbox);
        span?.SetTag("adls.account", input.Onboarding.AccountName);
        using IDisposable? scope = Logs.OnboardingScope(logger, input.InstanceId, input.Onboarding.Sandbox, input.Onboarding.AccountName);
        ConnectionResult result = await reconciler.EnsureConnectionAsync(input, cancellationToken).ConfigureAwait(false);
        span?.SetTag("adls.connection_action", result.Action.ToString());
        return result;
    }
}

/// <summary>
/// Merges a status change into the account's record in Table Storage. A failure also sets when the registry sweep
/// may try the account again (transient causes only, with a backoff that grows with each failure in a row).
/// </summary>
public sealed class SaveAccountRecordActivity(AccountRecordStore records, IOptions<Registry.SweepOptions> sweep, TimeProvider time, Telemetry.WorkflowMetrics metrics, ILogger<SaveAccountRecordActivity> logger) : IWorkflowActivity<AccountRecordUpdate, bool>
{
    public async Task<bool> RunAsync(AccountRecordUpdate input, CancellationToken cancellationToken = default)
    {
        using System.Diagnostics.Activity? span = Telemetry.WorkflowTelemetry.StartSpan(nameof(SaveAccountRecordActivity), input.TraceParent);
        span?.SetTag("adls.status", input.Status.ToString());
        using IDisposable? scope = Logs.OnboardingScope(logger, input.InstanceId, input.Sandbox, input.AccountName);
        try
        {
            if (input.Status == OnboardingStatus.Failed)
            {
                AccountRecord? current = await records.GetAsync(input.Sandbox, input.AccountName, cancellationToken).ConfigureAwait(false);
                int failures = (current?.ConsecutiveFailures ?? 0) + 1;
                input = input with { ConsecutiveFailures = failures, NextAttemptAt = time.GetUtcNow() + sweep.Value.BackoffAfter(failures) };
            }
            else if (input.Status == OnboardingStatus.Connected)
            {
                input = input with { ConsecutiveFailures = 0, ErrorTransient = false };
            }

            await records.UpsertAsync(input, cancellationToken).ConfigureAwait(false);
            if (input.Status is OnboardingStatus.Connected or OnboardingStatus.Failed)
            {
                metrics.Completed(input.Sandbox, input.Status.ToString(), input.ErrorCode, input.AttemptCount);
            }

            return true;
        }
        catch (Azure.RequestFailedException ex)
        {
            throw new AccountStoreException(ex);
        }
    }
}
