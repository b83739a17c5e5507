using AdlsOnboarding.Workflow.Failures;

namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// A secret that cannot be used (missing, disabled, expired, not readable) or a store that did not answer, with a
/// code from <see cref="SecretErrorCodes"/>. Only a store that did not answer is worth retrying.
/// </summary>
public sealed class SecretStoreException(string code, string detail, bool isTransient, TimeSpan? retryAfter = null)
    : Exception(FailureMessage.Format(code, isTransient, retryAfter, detail))
{
    public string Code { get; } = code;

    public string Detail { get; } = detail;

    public bool IsTransient { get; } = isTransient;

    /// <summary>The delay Key Vault asked for (<c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>
    /// A secret that cannot be used as it is: retrying will not help until someone changes it, or (a version not yet
    /// valid) until <paramref name="usableIn"/> has passed.
    /// </summary>
    public static SecretStoreException Unusable(string code, string name, string what, TimeSpan? usableIn = null) => new(code, $"Secret '{name}' {what}.", isTransient: false, usableIn);
}
