using System.Diagnostics;
using System.Runtime.ExceptionServices;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>How a start request ended.</summary>
public enum StartOutcome
{
    /// <summary>A new operation on the account was scheduled.</summary>
    Started,

    /// <summary>The same request was already running: the caller joins it.</summary>
    Joined,

    /// <summary>A different request, or another operation, is running on the account.</summary>
    Conflict,
}

public sealed record StartResult(StartOutcome Outcome, string InstanceId, OrchestrationRuntimeStatus Status);

/// <summary>
/// The one start-or-join routine, used by the HTTP API, the registry sweep and key rotation alike: one operation per
/// account at a time. Onboarding (and rotation, which re-onboards) runs as <c>onboard-…</c>, offboarding as
/// <c>offboard-…</c>; neither starts while the other runs. The same request joins a running one, a different one is
/// refused, and a finished one is started again. Races between concurrent callers of the same operation are settled
/// by the backend's dedupe on the deterministic instance id.
/// </summary>
public sealed class OnboardingStarter(WorkflowMetrics metrics, ILogger<OnboardingStarter> logger)
{
    private static readonly OrchestrationRuntimeStatus[] ActiveStatuses =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    public static bool IsActive(OrchestrationRuntimeStatus status) => ActiveStatuses.Contains(status);

    public async Task<StartResult> StartOrJoinAsync(DurableTaskClient client, OnboardingInput input, CancellationToken cancellationToken = default)
    {
        // The start's span is the root of the onboarding's trace (or a child of the HTTP request, timer or event).
        using Activity? span = WorkflowTelemetry.Source.StartActivity("StartOnboarding");
        span?.SetTag("adls.sandbox", input.Sandbox);
        span?.SetTag("adls.account", input.AccountName);
        StartResult result = await StartAsync(
            client,
            OnboardingInstanceId.For(input.Sandbox, input.AccountName),
            nameof(OnboardingOrchestrationV2),
            input with { TraceParent = Activity.Current?.Id },
            input.Fingerprint,
            OffboardingInput.InstanceIdFor(input.Sandbox, input.AccountName),
            input.Sandbox,
            input.AccountName,
            cancellationToken).ConfigureAwait(false);
        span?.SetTag("adls.start_outcome", result.Outcome.ToString());
        if (result.Outcome == StartOutcome.Started)
        {
            metrics.Started(input.Sandbox, input.Trigger);
        }

        return result;
    }

    public Task<StartResult> StartOffboardingAsync(DurableTaskClient client, OffboardingInput input, CancellationToken cancellationToken = default) =>
        StartAsync(
            client,
            OffboardingInput.InstanceIdFor(input.Sandbox, input.AccountName),
            nameof(OffboardingOrchestration),
            input,
            input.Fingerprint,
            OnboardingInstanceId.For(input.Sandbox, input.AccountName),
            input.Sandbox,
            input.AccountName,
            cancellationToken);

    /// <summary>Whether any operation (onboarding, rotation, offboarding) of the account is running.</summary>
    public static async Task<bool> IsAnyOperationActiveAsync(DurableTaskClient client, string sandbox, string account, CancellationToken cancellationToken = default) =>
        await ActiveOperationAsync(client, sandbox, account, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// The instance id of the account's running operation (scheduled, running or suspended), or null. The durable
    /// client says so from the moment the operation is scheduled, before it has written anything to the record.
    /// </summary>
    public static async Task<string?> ActiveOperationAsync(DurableTaskClient client, string sandbox, string account, CancellationToken cancellationToken = default)
    {
        foreach (string id in new[] { OnboardingInstanceId.For(sandbox, account), OffboardingInput.InstanceIdFor(sandbox, account) })
        {
            OrchestrationMetadata? metadata = await client.GetInstanceAsync(id, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
            if (metadata is not null && IsActive(metadata.RuntimeStatus))
            {
                return id;
            }
        }

        return null;
    }

    private async Task<StartResult> StartAsync(DurableTaskClient client, string instanceId, string orchestrator, object input, string fingerprint, string otherOperationId, string sandbox, string account, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            OrchestrationMetadata? other = await client.GetInstanceAsync(otherOperationId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
            if (other is not null && IsActive(other.RuntimeStatus))
            {
                Logs.OnboardingConflict(logger, otherOperationId);
                return new StartResult(StartOutcome.Conflict, otherOperationId, other.RuntimeStatus);
            }

            // Schedule first: the backend refuses the id while an instance with it is scheduled, running or suspended
            // (the dedupe statuses here; on the Functions host, host.json's overridableExistingInstanceStates =
            // NonRunningStates). Only a refusal costs a read, to tell the same request (join) from another (conflict).
            // A first start thus reads the instance once (inside the backend), not twice.
            Exception refused;
            try
            {
                StartOrchestrationOptions options = new StartOrchestrationOptions(instanceId).WithDedupeStatuses(ActiveStatuses);
                await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, options, cancellationToken).ConfigureAwait(false);
                Logs.OnboardingAccepted(logger, instanceId, sandbox, account);
                return new StartResult(StartOutcome.Started, instanceId, OrchestrationRuntimeStatus.Pending);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                refused = ex;
            }

            OrchestrationMetadata? existing = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
            if (existing is not null && IsActive(existing.RuntimeStatus))
            {
                if (existing.ReadInputAs<FingerprintOnly>()?.Fingerprint == fingerprint)
                {
                    Logs.OnboardingJoined(logger, instanceId);
                    return new StartResult(StartOutcome.Joined, instanceId, existing.RuntimeStatus);
                }

                Logs.OnboardingConflict(logger, instanceId);
                return new StartResult(StartOutcome.Conflict, instanceId, existing.RuntimeStatus);
            }

            if (attempt >= 3)
            {
                // Not refused for a running instance (it finished in between, or the start failed): give up after three tries.
                ExceptionDispatchInfo.Throw(refused);
            }
        }
    }

    private sealed record FingerprintOnly(string? Fingerprint);
}
