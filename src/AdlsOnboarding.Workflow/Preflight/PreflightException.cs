using AdlsOnboarding.Workflow.Onboarding;

namespace AdlsOnboarding.Workflow.Preflight;

/// <summary>
/// A pre-flight that failed: a code from <see cref="PreflightErrorCodes"/>, whether to retry (and not before when),
/// and a sentence telling the operator what to do. Carries no inner exception: the SDK's exceptions hold response
/// bodies and request details that have no place in records, logs or orchestration history.
/// </summary>
public sealed class PreflightException(string code, string operatorMessage, bool isTransient, TimeSpan? retryAfter = null)
    : OnboardingFailureException(code, operatorMessage, isTransient, retryAfter)
{
    /// <summary>What is wrong and what the operator does about it (also the failure's detail).</summary>
    public string OperatorMessage => Detail;
}
