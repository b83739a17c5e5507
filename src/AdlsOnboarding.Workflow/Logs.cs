using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Workflow;

/// <summary>
/// Every log line of the workflow, with stable event ids. None of them takes a secret, a token or a request body.
/// </summary>
internal static partial class Logs
{
    /// <summary>Every line logged inside carries the onboarding's instance id, sandbox and account.</summary>
    public static IDisposable? OnboardingScope(ILogger logger, string? instanceId, string sandbox, string account) =>
        logger.BeginScope(new Dictionary<string, object?> { ["InstanceId"] = instanceId, ["Sandbox"] = sandbox, ["Account"] = account });

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Onboarding {InstanceId} started for account {Account} in sandbox {Sandbox}")]
    public static partial void OnboardingStarted(ILogger logger, string instanceId, string sandbox, string account);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Onboarding {InstanceId} connected account {Account} in sandbox {Sandbox}: connection {ConnectionId} ({Action})")]
    public static partial void OnboardingConnected(ILogger logger, string instanceId, string sandbox, string account, string connectionId, ConnectionAction action);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Onboarding {InstanceId} failed for account {Account} in sandbox {Sandbox}: {ErrorCode} (transient: {Transient})")]
    public static partial void OnboardingFailed(ILogger logger, string instanceId, string sandbox, string account, string errorCode, bool transient);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Instance {InstanceId}: activity failed with {ErrorCode}; attempt {NextAttempt} in {DelayMs} ms (classification read from {Source})")]
    public static partial void ActivityRetrying(ILogger logger, string instanceId, string errorCode, int nextAttempt, long delayMs, FailureSource source);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Instance {InstanceId}: activity failed with {ErrorCode} (transient: {Transient}) after {Attempts} attempt(s); not retried (classification read from {Source})")]
    public static partial void ActivityNotRetried(ILogger logger, string instanceId, string errorCode, bool transient, int attempts, FailureSource source);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Instance {InstanceId} failed with {ErrorCode}; its detail is kept from the record and the caller: {Detail}")]
    public static partial void FailureDetailWithheld(ILogger logger, string instanceId, string errorCode, string detail);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Onboarding {InstanceId} accepted for account {Account} in sandbox {Sandbox}")]
    public static partial void OnboardingAccepted(ILogger logger, string instanceId, string sandbox, string account);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Request joined running onboarding {InstanceId}")]
    public static partial void OnboardingJoined(ILogger logger, string instanceId);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Request for {InstanceId} refused: a different onboarding of the account is running")]
    public static partial void OnboardingConflict(ILogger logger, string instanceId);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Offboarding {InstanceId} of account {Account} in sandbox {Sandbox} ended: {Action}")]
    public static partial void OffboardingCompleted(ILogger logger, string instanceId, string sandbox, string account, DeletionAction action);

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Key Vault event message dropped: {Reason}")]
    public static partial void SecretEventMalformed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Secret {SecretName} has a new version: {Started} rotation(s) started, {Deferred} left to the sweep")]
    public static partial void SecretRotationStarted(ILogger logger, string secretName, int started, int deferred);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Secret {SecretName} of account {Account} in sandbox {Sandbox} expires soon ({ExpiresOn}): rotate it")]
    public static partial void SecretNearExpiry(ILogger logger, string secretName, string sandbox, string account, DateTimeOffset? expiresOn);

    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning, Message = "Secret {SecretName} refused for client {ClientId} in tenant {Tenant}, account {Account} (the caller is told SecretUnavailable): {Reason}")]
    public static partial void SecretUnavailable(ILogger logger, string secretName, string? clientId, string? tenant, string? account, string reason);

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Purged the history of {Count} finished orchestration(s) created before {Cutoff}")]
    public static partial void HistoryPurged(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Registry sweep could not process account {Account} in sandbox {Sandbox} ({Stage}: {ErrorType}); going on with the next")]
    public static partial void SweepRecordFailed(ILogger logger, string sandbox, string account, string stage, string errorType, Exception exception);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Onboarding {InstanceId} of account {Account} in sandbox {Sandbox} was terminated by an operator: held until the account is registered again")]
    public static partial void OnboardingTerminatedHeld(ILogger logger, string instanceId, string sandbox, string account);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Registry sweep: {Due} due, {Started} started, {Joined} joined, {Running} running, {Conflicts} conflicting, {Invalid} invalid, {Deferred} left for the next sweep")]
    public static partial void SweepCompleted(ILogger logger, int due, int started, int joined, int running, int conflicts, int invalid, int deferred);

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Connection {ConnectionId} ensured for account {Account} in sandbox {Sandbox} ({Action}), onboarding {InstanceId}")]
    public static partial void ConnectionEnsured(ILogger logger, string instanceId, string sandbox, string account, string connectionId, ConnectionAction action);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "{Count} connections point at account {Account} in sandbox {Sandbox}; using {ConnectionId}")]
    public static partial void DuplicateConnectionsFound(ILogger logger, string sandbox, string account, int count, string connectionId);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Connection {ConnectionId} adopted for account {Account} in sandbox {Sandbox} (adoptConnectionId; Adobe createdClient {CreatedClient})")]
    public static partial void ConnectionAdopted(ILogger logger, string sandbox, string account, string connectionId, string? createdClient);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Connection {ConnectionId} of account {Account} in sandbox {Sandbox} was changed by Adobe client {UpdatedClient} during an update; not overwritten")]
    public static partial void ConcurrentEditFound(ILogger logger, string sandbox, string account, string connectionId, string? updatedClient);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "Connection {ConnectionId} of account {Account} in sandbox {Sandbox} not deleted: {Reason}")]
    public static partial void DeletionRefused(ILogger logger, string sandbox, string account, string connectionId, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Credential test unavailable for account {Account} in sandbox {Sandbox}: {ErrorCode}")]
    public static partial void CredentialTestUnavailable(ILogger logger, string sandbox, string account, string errorCode);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Adobe cannot list account {Account} in sandbox {Sandbox} through connection {ConnectionId}: {ErrorCode}")]
    public static partial void AdobeCannotList(ILogger logger, string sandbox, string account, string connectionId, string? errorCode);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Adobe's view of account {Account} in sandbox {Sandbox} unavailable: {ErrorCode}")]
    public static partial void ExploreUnavailable(ILogger logger, string sandbox, string account, string errorCode);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "Rotation of account {Account} in sandbox {Sandbox} held: {ErrorCode}; Adobe keeps key version {SecretVersion}, the new version {PendingVersion} was not sent")]
    public static partial void RotationHeld(ILogger logger, string sandbox, string account, string errorCode, string? secretVersion, string? pendingVersion);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Flow Service {Operation} in sandbox {Sandbox} answered {Status} in {ElapsedMs} ms")]
    public static partial void FlowServiceCalled(ILogger logger, string operation, string sandbox, int status, double elapsedMs);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Flow Service {Operation} in sandbox {Sandbox} got no response ({ErrorType})")]
    public static partial void FlowServiceNoResponse(ILogger logger, string operation, string sandbox, string errorType);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Flow Service in sandbox {Sandbox} refused a filter on auth.params.url ({ErrorCode}); listing every ADLS Gen2 connection of the sandbox instead")]
    public static partial void UrlFilterRefused(ILogger logger, string sandbox, string errorCode);

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "IMS access token issued, valid for {ExpiresInSeconds} s")]
    public static partial void ImsTokenIssued(ILogger logger, long expiresInSeconds);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "IMS access token rejected by the gateway; renewing it")]
    public static partial void ImsTokenInvalidated(ILogger logger);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "IMS token request failed: {Status} {ErrorCode}")]
    public static partial void ImsTokenFailed(ILogger logger, int status, string errorCode);
}
