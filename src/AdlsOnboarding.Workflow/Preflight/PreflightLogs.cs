using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow;

/// <summary>The pre-flight's log lines (event ids 2100-2109). No key, token or container name is ever a parameter.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Pre-flight passed for account {Account}: service principal {ClientId} signed in and listed containers")]
    public static partial void PreflightPassed(ILogger logger, string account, string clientId);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Pre-flight passed with a warning for account {Account}, service principal {ClientId}: {WarningCode}")]
    public static partial void PreflightWarned(ILogger logger, string account, string clientId, string warningCode);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Pre-flight failed for account {Account}, service principal {ClientId}: {ErrorCode} (transient: {Transient})")]
    public static partial void PreflightFailed(ILogger logger, string account, string clientId, string errorCode, bool transient);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Pre-flight is off (Onboarding:Preflight=Off): account {Account} not checked")]
    public static partial void PreflightSkipped(ILogger logger, string account);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Debug, Message = "Pre-flight for account {Account}: reusing an earlier sign-in of service principal {ClientId} with the same key")]
    public static partial void PreflightReusedSignIn(ILogger logger, string account, string clientId);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Information, Message = "Pre-flight for account {Account}: the account refused the reused token of service principal {ClientId} (401); signing in again")]
    public static partial void PreflightReusedTokenRefused(ILogger logger, string account, string clientId);
}
