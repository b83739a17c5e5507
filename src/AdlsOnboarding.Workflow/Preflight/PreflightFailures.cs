using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Identity;
using Microsoft.Identity.Client;

namespace AdlsOnboarding.Workflow.Preflight;

/// <summary>
/// Turns what Entra ID and the blob endpoint answered into our codes and operator sentences. Only codes and
/// statuses are read from the SDK's exceptions; their messages (response bodies, headers) are never passed on.
/// </summary>
internal static partial class PreflightFailures
{
    private const int InvalidSecret = 7000215;
    private const int ExpiredSecret = 7000222;
    private const int AppNotInTenant = 700016;
    private const int AppIsDisabled = 7000112;
    private const int TenantMissing = 90002;
    private const int ConditionalAccess = 53003;

    /// <summary>A failed sign-in (<see cref="AuthenticationFailedException"/> or what it wraps).</summary>
    public static PreflightException SignIn(Exception exception, PreflightRequest request, TimeSpan? keyAge, TimeSpan gracePeriod)
    {
        string who = $"service principal {request.ClientId} in tenant {request.Tenant}";
        MsalServiceException? msal = Find<MsalServiceException>(exception);
        if (msal is null)
        {
            return Transport(exception, "Entra ID");
        }

        if (msal.StatusCode == 429)
        {
            return Throttled("Entra ID", RetryAfterOf(msal.Headers?.RetryAfter));
        }

        if (msal.StatusCode >= 500 || msal.ErrorCode is MsalError.ServiceNotAvailable or "temporarily_unavailable")
        {
            return Unavailable("Entra ID", msal.StatusCode, RetryAfterOf(msal.Headers?.RetryAfter));
        }

        if (msal.ErrorCode == MsalError.RequestTimeout)
        {
            return TimedOut("Entra ID");
        }

        int? aadsts = AadstsCode(msal);
        return aadsts switch
        {
            InvalidSecret when keyAge is { } age && age < gracePeriod => new PreflightException(
                PreflightErrorCodes.KeyNotYetAccepted,
                $"Entra ID refused the key of {who} as invalid (AADSTS7000215), but this key version was stored only {Minutes(age)} ago and a new client secret can take minutes to be accepted; the check is retried.",
                isTransient: true),
            InvalidSecret => new PreflightException(
                PreflightErrorCodes.InvalidKey,
                $"Entra ID refused the key of {who} as invalid (AADSTS7000215). Store the value (not the secret ID) of a current client secret of that app registration as a new version of the Key Vault secret, then onboard again.",
                isTransient: false),
            ExpiredSecret => new PreflightException(
                PreflightErrorCodes.KeyExpired,
                $"The client secret of {who} has expired in Entra ID (AADSTS7000222). Create a new client secret for the app registration, store its value as a new version of the Key Vault secret, then onboard again.",
                isTransient: false),
            AppNotInTenant => new PreflightException(
                PreflightErrorCodes.AppNotFound,
                $"Entra ID has no application {request.ClientId} in tenant {request.Tenant} (AADSTS700016). Check the clientId and the tenant: the app may be registered in another tenant, or have no service principal (enterprise application) in this one. Fix the registration, then onboard again.",
                isTransient: false),
            AppIsDisabled => new PreflightException(
                PreflightErrorCodes.AppDisabled,
                $"The {who} is disabled (AADSTS7000112). Enable it (enterprise application, Properties, \"Enabled for users to sign-in\") or register another one, then onboard again.",
                isTransient: false),
            TenantMissing => new PreflightException(
                PreflightErrorCodes.TenantNotFound,
                $"Entra ID has no tenant {request.Tenant} (AADSTS90002). Use the directory's tenant id (a GUID) or one of its verified domain names, then onboard again.",
                isTransient: false),
            ConditionalAccess => new PreflightException(
                PreflightErrorCodes.BlockedByConditionalAccess,
                $"A Conditional Access policy of tenant {request.Tenant} blocks the sign-in of {who} (AADSTS53003). Ask the tenant's identity administrators to exclude this workload identity from the policy (Adobe signs in with the same key), then onboard again.",
                isTransient: false),
            { } other => new PreflightException(
                PreflightErrorCodes.SignInRefused,
                string.Create(CultureInfo.InvariantCulture, $"Entra ID refused the sign-in of {who} (AADSTS{other}, {msal.ErrorCode}). Look the code up at https://login.microsoftonline.com/error?code={other}, fix the app registration, then onboard again."),
                isTransient: false),
            null => new PreflightException(
                PreflightErrorCodes.SignInRefused,
                $"Entra ID refused the sign-in of {who} ({msal.ErrorCode}, HTTP {msal.StatusCode.ToString(CultureInfo.InvariantCulture)}). Check the app registration, then onboard again.",
                isTransient: false),
        };
    }

    /// <summary>
    /// A failed "List Containers". Null for 403 <c>AuthorizationFailure</c>: the account's network rules refused
    /// us, which is a warning, not a failure (the account may admit only Adobe).
    /// </summary>
    public static PreflightException? Listing(RequestFailedException exception, PreflightRequest request)
    {
        string account = request.Account;
        string code = exception.ErrorCode ?? "";
        TimeSpan? retryAfter = RetryAfterOf(exception.GetRawResponse());
        return exception.Status switch
        {
            0 => Transport(exception, $"the blob endpoint of storage account {account}"),
            403 when code == "AuthorizationFailure" => null,
            403 when code == "AuthorizationPermissionMismatch" => new PreflightException(
                PreflightErrorCodes.RoleMissing,
                $"Service principal {request.ClientId} signed in, but may not list the containers of storage account {account} (403 AuthorizationPermissionMismatch). Assign it the Storage Blob Data Reader role (Contributor or Owner also do) with the storage account {account} as scope (or its resource group or subscription; a role on one container is not enough), wait a few minutes for the assignment to take effect, then onboard again.",
                isTransient: false),
            401 => new PreflightException(
                PreflightErrorCodes.TokenRejected,
                $"Storage account {account} did not accept the token of service principal {request.ClientId} from tenant {request.Tenant} (401 {Named(code)}). The account most likely belongs to another Entra tenant: use a service principal of the account's own tenant, then onboard again.",
                isTransient: false),
            429 or 503 when exception.Status == 429 || code == "ServerBusy" => Throttled($"storage account {account}", retryAfter),
            408 => TimedOut($"storage account {account}"),
            >= 500 => Unavailable($"storage account {account}", exception.Status, retryAfter),
            _ => new PreflightException(
                PreflightErrorCodes.StorageRefused,
                string.Create(CultureInfo.InvariantCulture, $"Storage account {account} refused to list its containers to service principal {request.ClientId} ({exception.Status} {Named(code)}). Check the account's settings for that error code, then onboard again."),
                isTransient: false),
        };
    }

    public static PreflightWarning NetworkRulesRefusedUs(PreflightRequest request) => new(
        PreflightWarningCodes.NetworkRulesRefusedUs,
        $"Service principal {request.ClientId} signed in, but the network rules of storage account {request.Account} did not let this service list its containers (403 AuthorizationFailure), so its role could not be checked. That is expected when the account admits only Adobe's IP addresses; Adobe's own check decides whether Adobe can read it.");

    public static PreflightException TimedOut(string service) => new(
        PreflightErrorCodes.Timeout,
        $"The pre-flight got no answer from {service} in time; it is retried.",
        isTransient: true);

    public static PreflightException InvalidRequest(string what) => new(PreflightErrorCodes.InvalidRequest, $"The pre-flight cannot check this onboarding: {what}.", isTransient: false);

    /// <summary>No answer: a timeout or a failed connection somewhere under the SDK's exception.</summary>
    private static PreflightException Transport(Exception exception, string service) =>
        Find<OperationCanceledException>(exception) is not null || Find<TimeoutException>(exception) is not null
            ? TimedOut(service)
            : new PreflightException(
                PreflightErrorCodes.Unreachable,
                $"The pre-flight could not connect to {service}; it is retried. If this lasts, check this service's outbound network access and DNS.",
                isTransient: true);

    private static PreflightException Throttled(string service, TimeSpan? retryAfter) => new(
        PreflightErrorCodes.Throttled,
        $"{Capitalised(service)} is throttling the pre-flight; it is retried{(retryAfter is null ? "" : " after the delay it asked for")}.",
        isTransient: true,
        retryAfter);

    private static PreflightException Unavailable(string service, int status, TimeSpan? retryAfter) => new(
        PreflightErrorCodes.Unavailable,
        string.Create(CultureInfo.InvariantCulture, $"{Capitalised(service)} is unavailable (HTTP {status}); the pre-flight is retried."),
        isTransient: true,
        retryAfter);

    /// <summary>Entra's <c>error_codes</c> from the response body, else the <c>AADSTS…</c> number in the message.</summary>
    private static int? AadstsCode(MsalServiceException exception)
    {
        if (!string.IsNullOrEmpty(exception.ResponseBody))
        {
            try
            {
                using JsonDocument body = JsonDocument.Parse(exception.ResponseBody);
                if (body.RootElement.ValueKind == JsonValueKind.Object
                    && body.RootElement.TryGetProperty("error_codes", out JsonElement codes) && codes.ValueKind == JsonValueKind.Array
                    && codes.GetArrayLength() > 0 && codes[0].TryGetInt32(out int first))
                {
                    return first;
                }
            }
            catch (JsonException)
            {
                // Not Entra's JSON (a proxy's page): fall back to the message.
            }
        }

        Match match = Aadsts().Match(exception.Message);
        return match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int code) ? code : null;
    }

    private static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? value)
    {
        if (value?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (value?.Date is { } date)
        {
            TimeSpan wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static TimeSpan? RetryAfterOf(Response? response) =>
        response is not null && response.Headers.TryGetValue("Retry-After", out string? raw) && RetryConditionHeaderValue.TryParse(raw, out RetryConditionHeaderValue? value)
            ? RetryAfterOf(value)
            : null;

    private static T? Find<T>(Exception? exception) where T : Exception
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static string Minutes(TimeSpan age) => age < TimeSpan.FromMinutes(1)
        ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)age.TotalSeconds)} s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes} min");

    private static string Named(string code) => code.Length == 0 ? "no error code" : code;

    private static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    [GeneratedRegex(@"AADSTS(\d{4,9})", RegexOptions.CultureInvariant)]
    private static partial Regex Aadsts();
}
