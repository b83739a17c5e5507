using System.Globalization;
using System.Text.RegularExpressions;

namespace AdlsOnboarding.Workflow.Failures;

/// <summary>
/// The classification of a failure written into its message: <c>[code=…;transient=…;retryAfterMs=…] detail</c>.
/// Failures travel as <c>TaskFailureDetails.Properties</c> now; this text form is still written and read because some
/// readers see only the message: the histories of instances started before the properties existed, workers of the
/// previous release during a rolling deployment, and any host that drops the properties (the Azure Functions host
/// path cannot be tested on one machine). Messages never contain secrets.
/// </summary>
public static partial class FailureMessage
{
    public static string Format(string code, bool isTransient, TimeSpan? retryAfter, string detail) =>
        string.Create(CultureInfo.InvariantCulture,
            $"[code={code};transient={(isTransient ? "true" : "false")};retryAfterMs={(long)(retryAfter?.TotalMilliseconds ?? 0)}] {detail}");

    /// <summary>Reads the prefix back; false for a message without one (a crash, a bug, another library's exception).</summary>
    public static bool TryParse(string? message, out string code, out bool isTransient, out TimeSpan? retryAfter, out string detail)
    {
        Match match = Prefix().Match(message ?? "");
        if (!match.Success)
        {
            (code, isTransient, retryAfter, detail) = ("", true, null, message ?? "");
            return false;
        }

        long ms = long.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture);
        code = match.Groups["code"].Value;
        isTransient = match.Groups["transient"].Value == "true";
        retryAfter = ms > 0 ? TimeSpan.FromMilliseconds(ms) : null;
        detail = match.Groups["detail"].Value;
        return true;
    }

    /// <summary>The message without its prefix, if it has one.</summary>
    public static string DetailOf(string? message) => TryParse(message, out _, out _, out _, out string detail) ? detail : message ?? "";

    [GeneratedRegex(@"^\[code=(?<code>[^;\]]+);transient=(?<transient>true|false);retryAfterMs=(?<ms>\d+)\] (?<detail>.*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Prefix();
}
