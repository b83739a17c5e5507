using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Api;

/// <summary>The status-token key's log lines (event ids 3200-3299).</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Status-token keys loaded from secret {SecretName}: signing with version {Version}, {Count} version(s) accepted")]
    public static partial void StatusTokenKeysLoaded(ILogger logger, string secretName, string version, int count);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Status-token key secret {SecretName} could not be read (keys already loaded: {Loaded}): {Reason}; retrying in {RetrySeconds} s")]
    public static partial void StatusTokenKeyUnavailable(ILogger logger, string secretName, bool loaded, string reason, double retrySeconds);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Error, Message = "Status-token key secret {SecretName} version {Version} is not a base64 key of at least 32 bytes: not used")]
    public static partial void StatusTokenKeyVersionRejected(ILogger logger, string secretName, string version);
}
