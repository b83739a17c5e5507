using AdlsOnboarding.Workflow.Secrets;

namespace AdlsOnboarding.Workflow.Preflight;

/// <summary>
/// Whom to check: the service principal (<paramref name="ClientId"/> in <paramref name="Tenant"/>) with the key about
/// to be sent to Adobe, against one account (its name, as in <c>https://{Account}.dfs.core.windows.net</c>).
/// <paramref name="KeyVersionCreatedOn"/> is when that key version was stored (Key Vault's <c>created</c>), if known.
/// </summary>
public sealed record PreflightRequest(string Tenant, string ClientId, string Account, SensitiveString Key, DateTimeOffset? KeyVersionCreatedOn);

public enum PreflightOutcome
{
    /// <summary>The service principal signed in and listed the account's containers.</summary>
    Passed,

    /// <summary>The service principal signed in; the listing gave a warning (see <see cref="PreflightResult.Warning"/>).</summary>
    PassedWithWarning,

    /// <summary><c>Onboarding:Preflight</c> is <c>Off</c>: nothing was checked.</summary>
    Skipped,
}

/// <summary>A finding that does not stop the onboarding: a code from <see cref="PreflightWarningCodes"/> and what to do.</summary>
public sealed record PreflightWarning(string Code, string Message);

/// <summary>What a pre-flight found when it did not fail. Never holds a container name, a token or the key.</summary>
public sealed record PreflightResult(PreflightOutcome Outcome, PreflightWarning? Warning)
{
    public static PreflightResult Passed { get; } = new(PreflightOutcome.Passed, null);

    public static PreflightResult Skipped { get; } = new(PreflightOutcome.Skipped, null);

    public static PreflightResult WithWarning(PreflightWarning warning) => new(PreflightOutcome.PassedWithWarning, warning);
}

/// <summary>The pre-flight, as the onboarding calls it: one call, failures as <see cref="PreflightException"/>.</summary>
public interface IPreflightChecker
{
    /// <summary>
    /// Signs in as the service principal and lists one page of the account's containers. Returns the outcome (with a
    /// warning when the account's network rules refuse us); throws <see cref="PreflightException"/> when the key,
    /// the app, the tenant or the role is wrong (permanent), or Entra ID or the account cannot answer now (transient).
    /// </summary>
    Task<PreflightResult> CheckAsync(PreflightRequest request, CancellationToken cancellationToken = default);
}
