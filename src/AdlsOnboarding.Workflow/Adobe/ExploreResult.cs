namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// Adobe's own view of an account (<see cref="FlowServiceClient.ExploreRootAsync"/>): whether it could list it and,
/// if not, Adobe's error code and message (which pass on the storage account's refusal, e.g. its network rules).
/// </summary>
public sealed record ExploreResult(bool CanList, string? ErrorCode, string? Message)
{
    public static ExploreResult Listed { get; } = new(true, null, null);

    public static ExploreResult Refused(string code, string message) => new(false, code, message);

    /// <summary>
    /// The answers that mean "the account refused Adobe": <c>1308-400</c> (the request could not be processed, with
    /// Microsoft's error message) and the forbidden codes of the sources and Flow Service families (<c>1002-403</c>,
    /// <c>1106-403</c>, <c>1606-403</c>). The <c>2xxx</c> codes are about our own token, org, sandbox and permissions.
    /// </summary>
    internal static bool IsAccountRefusal(int status, string code) =>
        code == "1308-400" || (status == 403 && code is "1002-403" or "1106-403" or "1606-403");
}
