using System.Globalization;
using System.Net;
using System.Text.Json;
using AdlsOnboarding.Workflow.Failures;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// A failed call to Adobe (IMS or Flow Service), classified: the HTTP status, Adobe's error code
/// (<c>1415-400</c>, <c>401013</c>, <c>429050</c>) and whether and when to retry.
/// </summary>
public sealed class AdobeServiceException : Exception
{
    public AdobeServiceException(string operation, int status, string code, string message, bool isTransient, TimeSpan? retryAfter, bool requestMayHaveSucceeded, Exception? innerException = null)
        : base(FailureMessage.Format(code, isTransient, retryAfter, DetailOf(operation, status, message)), innerException)
    {
        Operation = operation;
        Status = status;
        Code = code;
        Detail = DetailOf(operation, status, message);
        IsTransient = isTransient;
        RetryAfter = retryAfter;
        RequestMayHaveSucceeded = requestMayHaveSucceeded;
    }

    /// <summary>Adobe's error code, or the HTTP status when the body has none; ours for transport failures (<c>Timeout</c>).</summary>
    public string Code { get; }

    /// <summary>What failed, in words: the operation, the status and Adobe's message.</summary>
    public string Detail { get; }

    public bool IsTransient { get; }

    /// <summary>The delay Adobe asked for (<c>Retry-After</c>); the next attempt must not start earlier.</summary>
    public TimeSpan? RetryAfter { get; }

    public string Operation { get; }

    /// <summary>The HTTP status, or 0 when no response arrived (timeout, connection reset).</summary>
    public int Status { get; }

    /// <summary>True when the request may have been carried out although it failed (timeout, reset, 5xx).</summary>
    public bool RequestMayHaveSucceeded { get; }

    /// <summary>The gateway's answer to a missing, expired or invalid token.</summary>
    public bool IsInvalidToken => Status == 401;

    /// <summary>Builds the exception for an error response, reading Adobe's two error body shapes.</summary>
    public static AdobeServiceException FromResponse(string operation, HttpStatusCode statusCode, string? body, TimeSpan? retryAfter)
    {
        int status = (int)statusCode;
        (string code, string message) = ParseErrorBody(status, body);
        bool transient = status is 408 or 429 or 500 or 502 or 503 or 504;
        bool mayHaveSucceeded = status is 500 or 502 or 504 or 408;
        return new AdobeServiceException(operation, status, code, message, transient, transient ? retryAfter : null, mayHaveSucceeded);
    }

    public static AdobeServiceException FromTransportFailure(string operation, Exception exception, bool timedOut) => new(
        operation,
        status: 0,
        code: timedOut ? "Timeout" : "NetworkError",
        message: timedOut ? "no answer within the request timeout" : $"the connection failed ({exception.GetType().Name})",
        isTransient: true,
        retryAfter: null,
        requestMayHaveSucceeded: true,
        innerException: null);

    /// <summary>
    /// Flow Service errors: <c>{"type":".../FLOW-1439-404","title":…,"report":{"detailed-message":…}}</c>;
    /// gateway errors: <c>{"error_code":"401013","message":…}</c>. Anything else keeps the HTTP status as code.
    /// </summary>
    internal static (string Code, string Message) ParseErrorBody(int status, string? body)
    {
        string fallbackCode = status.ToString(CultureInfo.InvariantCulture);
        if (string.IsNullOrWhiteSpace(body))
        {
            return (fallbackCode, "no error body");
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (fallbackCode, "unrecognised error body");
            }

            if (root.TryGetProperty("error_code", out JsonElement gatewayCode))
            {
                string message = root.TryGetProperty("message", out JsonElement m) ? m.ToString() : "gateway error";
                return (gatewayCode.ToString(), Truncate(message));
            }

            if (root.TryGetProperty("type", out JsonElement type) && type.ValueKind == JsonValueKind.String)
            {
                string typeValue = type.GetString() ?? "";
                int at = typeValue.LastIndexOf("FLOW-", StringComparison.Ordinal);
                string code = at >= 0 ? typeValue[(at + 5)..] : fallbackCode;
                string title = root.TryGetProperty("title", out JsonElement t) ? t.ToString() : "";
                string detail = root.TryGetProperty("report", out JsonElement report) && report.ValueKind == JsonValueKind.Object
                    && report.TryGetProperty("detailed-message", out JsonElement d) ? d.ToString() : "";
                return (code, Truncate(string.Join(": ", new[] { title, detail }.Where(s => s.Length > 0))));
            }

            // IMS token endpoint: {"error":"invalid_client","error_description":"..."}
            if (root.TryGetProperty("error", out JsonElement oauthError))
            {
                string description = root.TryGetProperty("error_description", out JsonElement e) ? e.ToString() : "";
                return (oauthError.ToString(), Truncate(description));
            }
        }
        catch (JsonException)
        {
            return (fallbackCode, "unreadable error body");
        }

        return (fallbackCode, "unrecognised error body");
    }

    private static string DetailOf(string operation, int status, string message) =>
        $"{operation} failed ({(status == 0 ? "no response" : status.ToString(CultureInfo.InvariantCulture))}): {message}";

    // Error bodies are Adobe's and do not echo credentials; they are still bounded before they reach logs and tables.
    private static string Truncate(string value) => value.Length <= 500 ? value : value[..500] + "…";
}
