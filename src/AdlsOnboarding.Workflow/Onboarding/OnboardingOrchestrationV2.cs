using System.Diagnostics;
using System.Text.Json.Serialization;
using AdlsOnboarding.Workflow.Rotation;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// Onboards one ADLS Gen2 account in one durable step: <see cref="OnboardAccountActivity"/> records the onboarding,
/// resolves the key's version, ensures the Adobe connection and records it connected. A failure that outlives the
/// retry budget adds one step, <see cref="SaveAccountRecordActivity"/> (Failed). Replaces
/// <see cref="OnboardingOrchestration"/> (four steps), which stays registered so that instances started on it finish
/// on it. Deterministic: no I/O here, durable time only, replay-safe logging; secrets never enter inputs, outputs or
/// failures.
/// </summary>
public sealed class OnboardingOrchestrationV2 : TaskOrchestrator<OnboardingInput, OnboardingOutcome>
{
    public override async Task<OnboardingOutcome> RunAsync(TaskOrchestrationContext context, OnboardingInput input)
    {
        ILogger logger = context.CreateReplaySafeLogger(nameof(OnboardingOrchestrationV2));
        AttemptCounter attempts = new();
        OnboardingRun run = OnboardingRun.Of(input, context.InstanceId);
        Logs.OnboardingStarted(logger, context.InstanceId, input.Sandbox, input.AccountName);

        try
        {
            // One activity, retried by DurableRetry's handler; each attempt is scheduled with its number (the record keeps it).
            OnboardAccountResult result = await context.CallActivityAsync<OnboardAccountResult>(
                nameof(OnboardAccountActivity), new OnboardAccountRequest(input, context.InstanceId, attempts), DurableRetry.Options(input.Retry, attempts));
            ConnectionResult connection = result.Connection;
            Logs.OnboardingConnected(logger, context.InstanceId, input.Sandbox, input.AccountName, connection.ConnectionId, connection.Action);
            return new OnboardingOutcome(
                input.Sandbox, input.AccountName, OnboardingStatus.Connected, connection.ConnectionId, connection.Etag, input.ConnectionName,
                connection.Action, connection.CredentialTestPassed, result.SecretVersion, null, null, connection.Warning, context.CurrentUtcDateTime)
            { AdobeCanList = connection.AdobeCanList };
        }
        catch (TaskFailedException ex)
        {
            // Permanent failures, and transient ones that outlived the retry budget, end here: the orchestration
            // completes with a failed outcome, and the record says why (a withheld detail is logged, event 1005).
            ClassifiedFailure failure = ClassifiedFailure.Of(ex.FailureDetails, logger, context.InstanceId);
            if (RotationHolds.Applies(input.Trigger, failure))
            {
                // A rotation whose new version was not sent leaves the working connection as it is (issue 14 item 5, 17 item 1).
                HeldRotation? held = await context.CallActivityAsync<HeldRotation?>(
                    nameof(HoldRotationActivity), new HoldRotationInput(run, failure.Code, failure.PublicMessage, PendingVersion: null), DurableRetry.Options(input.Retry));
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
                AccountRecordChange.Failed(run, new AccountFailure(failure.Code, failure.PublicMessage, failure.IsTransient, attempts.Retries + 1)),
                DurableRetry.Options(input.Retry));

            Logs.OnboardingFailed(logger, context.InstanceId, input.Sandbox, input.AccountName, failure.Code, failure.IsTransient);
            return new OnboardingOutcome(
                input.Sandbox, input.AccountName, OnboardingStatus.Failed, null, null, input.ConnectionName,
                null, null, null, failure.Code, failure.PublicMessage, null, context.CurrentUtcDateTime);
        }
    }
}

/// <summary>
/// What the orchestrator schedules, serialized as <see cref="OnboardAccountInput"/>. The SDK serializes the input
/// again each time it schedules a retry, after <see cref="DurableRetry"/> has counted it, so each attempt carries its
/// own number (hand-overs not counted); replays count the same way.
/// </summary>
public sealed class OnboardAccountRequest(OnboardingInput onboarding, string instanceId, AttemptCounter attempts)
{
    public OnboardingInput Onboarding => onboarding;

    public string InstanceId => instanceId;

    public int Attempt => attempts.Retries + 1;
}

/// <summary>Input of <see cref="OnboardAccountActivity"/>: the request, the instance, and which attempt this is (recorded).</summary>
public sealed record OnboardAccountInput(
    [property: JsonRequired] OnboardingInput Onboarding,
    [property: JsonRequired] string InstanceId,
    [property: JsonRequired] int Attempt);

/// <summary>Result of <see cref="OnboardAccountActivity"/>: the connection and the key version Adobe holds. Ids only, never credentials.</summary>
public sealed record OnboardAccountResult(ConnectionResult Connection, string SecretVersion);

/// <summary>
/// The whole happy path of an onboarding, as one activity: record <c>Onboarding</c> (first, so the registry sees a
/// running onboarding and the reconciler reads the record after it), resolve the key's version (on every attempt:
/// the record keeps the version actually sent), create or update and test the Adobe connection
/// (<see cref="ConnectionReconciler"/>, safe to run any number of times), record <c>Connected</c>. Runs inside its
/// <see cref="ActivityBudget"/>; a failure propagates classified (<see cref="FailurePropertiesProvider"/>).
/// </summary>
public sealed class OnboardAccountActivity(
    AccountRecordStore records,
    ServicePrincipalKeys keys,
    ConnectionReconciler reconciler,
    IOptions<OnboardingOptions> options,
    TimeProvider time,
    WorkflowMetrics metrics,
    ILogger<OnboardAccountActivity> logger) : IWorkflowActivity<OnboardAccountInput, OnboardAccountResult>
{
    public async Task<OnboardAccountResult> RunAsync(OnboardAccountInput input, CancellationToken cancellationToken = default)
    {
        OnboardingInput request = input.Onboarding;
        using Activity? span = WorkflowTelemetry.StartSpan(nameof(OnboardAccountActivity), request.TraceParent);
        span?.SetTag("adls.sandbox", request.Sandbox);
        span?.SetTag("adls.account", request.AccountName);
        span?.SetTag("adls.attempt", input.Attempt);
        using IDisposable? scope = Logs.OnboardingScope(logger, input.InstanceId, request.Sandbox, request.AccountName);
        using ActivityBudget budget = ActivityBudget.Begin(options.Value.ActivityBudget, time);
        OnboardingRun run = OnboardingRun.Of(request, input.InstanceId);

        // The record each write leaves is what the next step reads: no second request for it.
        using IDisposable remembered = records.RememberWrittenRecord();
        // An API start's first attempt is most likely a first onboarding: add the record without reading it first.
        await records.MarkOnboardingAsync(run, likelyNew: input.Attempt == 1 && run.Trigger == OnboardingTriggers.Api, cancellationToken).ConfigureAwait(false);

        // An input scheduled by a release that did not carry the binding binds nothing (fail closed).
        SecretVersionInfo secret = await keys.ResolveAsync(request.SecretName, request.SecretVersion, request.Binding ?? new SecretBinding("", "", ""), cancellationToken).ConfigureAwait(false);

        // The connection is recorded with the Connected mark below: one write for both.
        ReconciledConnection reconciled = await reconciler.EnsureConnectionUnrecordedAsync(new CreateConnectionInput(request, secret.Version, input.InstanceId), cancellationToken).ConfigureAwait(false);
        ConnectionResult connection = reconciled.Result;
        span?.SetTag("adls.connection_action", connection.Action.ToString());

        DateTimeOffset? rotatedAt = connection.Action == ConnectionAction.Updated && request.Trigger is OnboardingTriggers.SecretRotated or OnboardingTriggers.SecretVersionDrift
            ? time.GetUtcNow()
            : null;
        OnboardingStatus written = await records.MarkConnectedAsync(
            run,
            new ConnectedAccount(connection.ConnectionId, connection.Etag, secret.Version, connection.Action, connection.CredentialTestPassed, input.Attempt, connection.Warning, rotatedAt)
            { AdobeCanList = connection.AdobeCanList, CreatedClient = reconciled.CreatedClient, KeySent = reconciled.KeySent },
            cancellationToken).ConfigureAwait(false);
        // What the record says now: Pending, not Connected, when the registration changed during the run (superseded).
        metrics.Completed(request.Sandbox, written.ToString(), null, input.Attempt);
        return new OnboardAccountResult(connection, secret.Version);
    }
}
