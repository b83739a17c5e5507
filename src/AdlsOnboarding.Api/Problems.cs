using Microsoft.AspNetCore.Http;

namespace AdlsOnboarding.Api;

/// <summary>RFC 9457 problem details (<c>application/problem+json</c>) for every error the API returns.</summary>
public static class Problems
{
    private const string TypeBase = "urn:adls-onboarding:problem:";

    public static IResult Validation(Dictionary<string, string[]> errors) => Results.ValidationProblem(
        errors,
        detail: "Fields not valid: " + string.Join(", ", errors.Keys) + ". Nothing was started.",
        type: TypeBase + "validation",
        title: "The request is not valid.");

    public static IResult UnsupportedMediaType() => Results.Problem(
        statusCode: StatusCodes.Status415UnsupportedMediaType,
        type: TypeBase + "media-type",
        title: "The body must be JSON.",
        detail: "Send Content-Type: application/json.");

    public static IResult Conflict(string instanceId, string statusUrl) => Results.Problem(
        statusCode: StatusCodes.Status409Conflict,
        type: TypeBase + "onboarding-running",
        title: "A different onboarding of this account is running.",
        detail: "Wait for it to finish (see statusUrl), then send the new request.",
        extensions: new Dictionary<string, object?> { ["instanceId"] = instanceId, ["statusUrl"] = statusUrl });

    public static IResult Unauthorized() => Results.Problem(
        statusCode: StatusCodes.Status401Unauthorized,
        type: TypeBase + "status-token",
        title: "The status token is missing, altered or expired.",
        detail: "Use the status URL from the latest 202 answer.");

    /// <summary>503 while the status-token key cannot be read yet (just after a deployment): nothing was started.</summary>
    public static IResult NotReady() => Results.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        type: TypeBase + "not-ready",
        title: "The service is starting.",
        detail: "Its status-token key cannot be read yet. Nothing was started; retry after Retry-After.");

    public static IResult NotFound(string instanceId) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound,
        type: TypeBase + "not-found",
        title: "No such onboarding.",
        extensions: new Dictionary<string, object?> { ["instanceId"] = instanceId });

    public static IResult RegistrationConflict(string instanceId) => Results.Problem(
        statusCode: StatusCodes.Status409Conflict,
        type: TypeBase + "onboarding-running",
        title: "An operation of this account is running.",
        detail: "Its registration can change once this onboarding or offboarding has ended (see instanceId).",
        extensions: new Dictionary<string, object?> { ["instanceId"] = instanceId });

    public static IResult AccountNotFound(string sandbox, string account) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound,
        type: TypeBase + "not-found",
        title: "No such account in the registry.",
        extensions: new Dictionary<string, object?> { ["sandbox"] = sandbox, ["account"] = account });

    /// <summary>A failed outcome is a 4xx: callers such as Logic Apps must not retry it as they retry 5xx.</summary>
    public static IResult OnboardingFailed(string instanceId, string errorCode, string message) => Results.Problem(
        statusCode: StatusCodes.Status422UnprocessableEntity,
        type: TypeBase + "onboarding-failed",
        title: "The onboarding failed.",
        detail: message,
        extensions: new Dictionary<string, object?> { ["instanceId"] = instanceId, ["errorCode"] = errorCode });
}
