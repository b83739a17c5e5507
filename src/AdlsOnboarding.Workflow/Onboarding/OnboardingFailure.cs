using System.Globalization;
using System.Text.RegularExpressions;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// A failure of an activity, classified once where it happens. Durable Task hands the orchestrator only the
/// exception's type name and message (<see cref="Microsoft.DurableTask.TaskFailureDetails"/>), so the classification
/// travels in a fixed prefix of the message that <see cref="Parse"/> reads back. Messages never contain secrets.
/// </summary>
public partial class OnboardingFailureException : Exception
{
    public OnboardingFailureException(string code, string detail, bool isTransient, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(Format(code, isTransient, retryAfter, detail), innerException)
    {
        Code = code;
        Detail = detail;
        IsTransient = isTransient;
        RetryAfter = retryAfter;
    }

    /// <summary>A stable error code: Adobe's (<c>1415-400</c>, <c>401013</c>) or ours (<c>SecretExpired</c>).</summary>
    public string Code { get; }

    public string Detail { get; }

    public bool IsTransient { get; }

    /// <summary>The delay the server asked for (<c>Retry-After</c>); the next attempt must not start earlier.</summary>
    public TimeSpan? RetryAfter { get; }

    public static string Format(string code, bool isTransient, TimeSpan? retryAfter, string detail) =>
        string.Create(CultureInfo.InvariantCulture,
            $"[code={code};transient={(isTransient ? "true" : "false")};retryAfterMs={(long)(retryAfter?.TotalMilliseconds ?? 0)}] {detail}");

    /// <summary>Reads a failure back from a message; unclassified messages (crashes, bugs) count as transient.</summary>
    public static ParsedFailure Parse(string? message)
    {
        Match match = Prefix().Match(message ?? "");
        if (!match.Success)
        {
            return new ParsedFailure("Unexpected", message ?? "", IsTransient: true, RetryAfter: null);
        }

        long ms = long.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture);
        return new ParsedFailure(
            match.Groups["code"].Value,
            match.Groups["detail"].Value,
            match.Groups["transient"].Value == "true",
            ms > 0 ? TimeSpan.FromMilliseconds(ms) : null);
    }

    [GeneratedRegex(@"^\[code=(?<code>[^;\]]+);transient=(?<transient>true|false);retryAfterMs=(?<ms>\d+)\] (?<detail>.*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Prefix();
}

/// <summary>A failure as the orchestrator sees it.</summary>
public sealed record ParsedFailure(string Code, string Detail, bool IsTransient, TimeSpan? RetryAfter);
