using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>How a start request ended.</summary>
public enum StartOutcome
{
    /// <summary>A new onboarding of the account was scheduled.</summary>
    Started,

    /// <summary>The same request was already running: the caller joins it.</summary>
    Joined,

    /// <summary>A different request for the account is running.</summary>
    Conflict,
}

public sealed record StartResult(StartOutcome Outcome, string InstanceId, OrchestrationRuntimeStatus Status);

/// <summary>
/// The one start-or-join routine, used by the HTTP API and the registry sweep alike: one onboarding per (sandbox,
/// account); the same request joins a running one, a different one is refused, and a finished one is started again.
/// Races between concurrent callers are settled by the backend's dedupe on the deterministic instance id.
/// </summary>
public sealed class OnboardingStarter(ILogger<OnboardingStarter> logger)
{
    private static readonly OrchestrationRuntimeStatus[] ActiveStatuses =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    public static bool IsActive(OrchestrationRuntimeStatus status) => ActiveStatuses.Contains(status);

    public async Task<StartResult> StartOrJoinAsync(DurableTaskClient client, OnboardingInput input, CancellationToken cancellationToken = default)
    {
        string instanceId = OnboardingInstanceId.For(input.Sandbox, input.AccountName);
        for (int attempt = 1; ; attempt++)
        {
            OrchestrationMetadata? existing = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
            if (existing is not null && IsActive(existing.RuntimeStatus))
            {
                if (existing.ReadInputAs<OnboardingInput>()?.Fingerprint == input.Fingerprint)
                {
                    Logs.OnboardingJoined(logger, instanceId);
                    return new StartResult(StartOutcome.Joined, instanceId, existing.RuntimeStatus);
                }

                Logs.OnboardingConflict(logger, instanceId);
                return new StartResult(StartOutcome.Conflict, instanceId, existing.RuntimeStatus);
            }

            try
            {
                StartOrchestrationOptions options = new StartOrchestrationOptions(instanceId).WithDedupeStatuses(ActiveStatuses);
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestration), input, options, cancellationToken).ConfigureAwait(false);
                Logs.OnboardingAccepted(logger, instanceId, input.Sandbox, input.AccountName);
                return new StartResult(StartOutcome.Started, instanceId, OrchestrationRuntimeStatus.Pending);
            }
            catch (Exception ex) when (attempt < 3 && ex is not OperationCanceledException)
            {
                // Another caller started this instance between the read and the start: read again and join it.
            }
        }
    }
}
