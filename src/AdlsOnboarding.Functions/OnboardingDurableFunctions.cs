using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Rotation;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace AdlsOnboarding.Functions;

/// <summary>
/// The orchestrator and activity triggers, written by hand (the Durable Task source generator is not available):
/// each adapts the trigger to the workflow library's class of the same name.
/// </summary>
public sealed class OnboardingDurableFunctions(
    OnboardAccountActivity onboardAccount,
    ResolveSecretVersionActivity resolveSecretVersion,
    CreateConnectionActivity createConnection,
    SaveAccountRecordActivity saveAccountRecord,
    HoldRotationActivity holdRotation,
    DeleteConnectionActivity deleteConnection)
{
    [Function(nameof(OnboardingOrchestrationV2))]
    public static Task<OnboardingOutcome> RunOnboardingOrchestrationV2([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new OnboardingOrchestrationV2().RunAsync(context, context.GetInput<OnboardingInput>()
            ?? throw new InvalidOperationException("The onboarding orchestration needs an input."));

    [Function(nameof(OnboardAccountActivity))]
    public Task<OnboardAccountResult> OnboardAccount([ActivityTrigger] OnboardAccountInput input, CancellationToken cancellationToken) =>
        onboardAccount.RunAsync(input, cancellationToken);

    /// <summary>The four-step shape, kept so that instances started before the upgrade finish on it.</summary>
    [Function(nameof(OnboardingOrchestration))]
    public static Task<OnboardingOutcome> RunOnboardingOrchestration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new OnboardingOrchestration().RunAsync(context, context.GetInput<OnboardingInput>()
            ?? throw new InvalidOperationException("The onboarding orchestration needs an input."));

    [Function(nameof(ResolveSecretVersionActivity))]
    public Task<SecretVersionInfo> ResolveSecretVersion([ActivityTrigger] ResolveSecretVersionInput input, CancellationToken cancellationToken) =>
        resolveSecretVersion.RunAsync(input, cancellationToken);

    [Function(nameof(CreateConnectionActivity))]
    public Task<ConnectionResult> CreateConnection([ActivityTrigger] CreateConnectionInput input, CancellationToken cancellationToken) =>
        createConnection.RunAsync(input, cancellationToken);

    [Function(nameof(OffboardingOrchestration))]
    public static Task<OffboardingOutcome> RunOffboardingOrchestration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new OffboardingOrchestration().RunAsync(context, context.GetInput<OffboardingInput>()
            ?? throw new InvalidOperationException("The offboarding orchestration needs an input."));

    [Function(nameof(DeleteConnectionActivity))]
    public Task<DeletionResult> DeleteConnection([ActivityTrigger] DeleteConnectionInput input, CancellationToken cancellationToken) =>
        deleteConnection.RunAsync(input, cancellationToken);

    [Function(nameof(SaveAccountRecordActivity))]
    public Task<bool> SaveAccountRecord([ActivityTrigger] AccountRecordChange input, CancellationToken cancellationToken) =>
        saveAccountRecord.RunAsync(input, cancellationToken);

    [Function(nameof(HoldRotationActivity))]
    public Task<HeldRotation?> HoldRotation([ActivityTrigger] HoldRotationInput input, CancellationToken cancellationToken) =>
        holdRotation.RunAsync(input, cancellationToken);
}
