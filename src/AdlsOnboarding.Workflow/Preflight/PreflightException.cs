using AdlsOnboarding.Workflow.Failures;

namespace AdlsOnboarding.Workflow.Preflight;

/// <summary>
/// A pre-flight that failed: a code from <see cref="PreflightErrorCodes"/>, whether to retry (and not before when),
/// and a sentence telling the operator what to do. Carries no inner exception: the SDK's exceptions hold response
/// bodies and request details that have no place in records, logs or orchestration history. The orchestrator learns
/// of it through <see cref="Onboarding.FailurePropertiesProvider"/>, like the clients' own exception types.
/// </summary>
public sealed class PreflightException(string code, string operatorMessage, bool isTransient, TimeSpan? retryAfter = null)
    : Exception(FailureMessage.Format(code, isTransient, retryAfter, operatorMessage))
{
    public string Code { get; } = code;

    /// <summary>What is wrong and what the operator does about it: the failure's detail, recorded on the account.</summary>
    public string OperatorMessage { get; } = operatorMessage;

    public bool IsTransient { get; } = isTransient;

    /// <summary>The delay Entra ID or the account asked for (<c>Retry-After</c>); the next attempt must not start earlier.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
