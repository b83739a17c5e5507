using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow;

/// <summary>The expired-key log line (beside 1302, near expiry).</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "Secret {SecretName} of account {Account} in sandbox {Sandbox} has expired ({ExpiresOn}): Adobe's connection fails until a new version is set")]
    public static partial void SecretExpired(ILogger logger, string secretName, string sandbox, string account, DateTimeOffset? expiresOn);
}
