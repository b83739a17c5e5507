namespace AdlsOnboarding.Workflow.Preflight;

/// <summary>
/// The codes a failed pre-flight records on the account and returns in the 422 (<c>docs/preflight.md</c> says what an
/// operator does about each). Permanent unless marked transient.
/// </summary>
public static class PreflightErrorCodes
{
    /// <summary>AADSTS7000215: the key is not a valid client secret of the app.</summary>
    public const string InvalidKey = "PreflightInvalidKey";

    /// <summary>Transient: AADSTS7000215 for a key version younger than <c>Preflight:NewKeyGracePeriod</c>.</summary>
    public const string KeyNotYetAccepted = "PreflightKeyNotYetAccepted";

    /// <summary>AADSTS7000222: the client secret has expired in Entra ID.</summary>
    public const string KeyExpired = "PreflightKeyExpired";

    /// <summary>AADSTS700016: no such application in the tenant.</summary>
    public const string AppNotFound = "PreflightAppNotFound";

    /// <summary>AADSTS7000112: the application (service principal) is disabled.</summary>
    public const string AppDisabled = "PreflightAppDisabled";

    /// <summary>AADSTS90002: no such tenant.</summary>
    public const string TenantNotFound = "PreflightTenantNotFound";

    /// <summary>AADSTS53003: a Conditional Access policy blocks the service principal.</summary>
    public const string BlockedByConditionalAccess = "PreflightBlockedByConditionalAccess";

    /// <summary>Any other AADSTS refusal; the message names the AADSTS code.</summary>
    public const string SignInRefused = "PreflightSignInRefused";

    /// <summary>403 <c>AuthorizationPermissionMismatch</c>: no Storage Blob Data Reader (or higher) on the account.</summary>
    public const string RoleMissing = "PreflightRoleMissing";

    /// <summary>401 from the account: it does not accept this tenant's tokens (it belongs to another tenant).</summary>
    public const string TokenRejected = "PreflightTokenRejected";

    /// <summary>Another 4xx from the account; the message names the storage error code.</summary>
    public const string StorageRefused = "PreflightStorageRefused";

    /// <summary>The tenant or account cannot be put into a request (the request validator normally stops this earlier).</summary>
    public const string InvalidRequest = "PreflightInvalidRequest";

    /// <summary>Transient: 429, or 503 <c>ServerBusy</c>, from Entra ID or the account; waits for <c>Retry-After</c> when given.</summary>
    public const string Throttled = "PreflightThrottled";

    /// <summary>Transient: a 5xx from Entra ID or the account.</summary>
    public const string Unavailable = "PreflightUnavailable";

    /// <summary>Transient: no answer within <c>Preflight:RequestTimeout</c>.</summary>
    public const string Timeout = "PreflightTimeout";

    /// <summary>Transient: the connection failed (name resolution, refused, reset, TLS).</summary>
    public const string Unreachable = "PreflightUnreachable";
}

/// <summary>The codes of a pre-flight that passed with a warning.</summary>
public static class PreflightWarningCodes
{
    /// <summary>403 <c>AuthorizationFailure</c>: the account's network rules do not admit this service.</summary>
    public const string NetworkRulesRefusedUs = "PreflightNetworkRulesRefusedUs";

    /// <summary>After the create: Adobe could not list the account with the connection's credentials (explore refused).</summary>
    public const string AdobeCannotList = "AdobeCannotListAccount";

    /// <summary>On a key rotation: the new version failed the pre-flight; Adobe keeps the version it had.</summary>
    public const string RotationRefused = "RotationKeyRefused";

    /// <summary>On a key rotation: the new version is not usable yet (future nbf, disabled, not bound); Adobe keeps the version it had.</summary>
    public const string RotationPending = "RotationKeyPending";
}
