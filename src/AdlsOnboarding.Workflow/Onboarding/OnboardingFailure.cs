using AdlsOnboarding.Workflow.Failures;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// A failure the workflow itself decides on (a name taken by another account's connection, a create still under
/// way, a connection in use): the clients' failures have their own types. Classified where it happens; see
/// <see cref="FailurePropertiesProvider"/> for how the orchestrator learns of it.
/// </summary>
public sealed class OnboardingFailureException(string code, string detail, bool isTransient, TimeSpan? retryAfter = null)
    : Exception(FailureMessage.Format(code, isTransient, retryAfter, detail))
{
    /// <summary>A stable error code, e.g. <c>Conflict</c>, <c>CreateInProgress</c>.</summary>
    public string Code { get; } = code;

    public string Detail { get; } = detail;

    public bool IsTransient { get; } = isTransient;

    /// <summary>The next attempt must not start earlier.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
