namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// A secret value in memory. It prints as <c>[redacted]</c> so that it cannot reach a log line, an exception
/// message or a serialized payload by accident; <see cref="Reveal"/> is called only where the value is sent.
/// </summary>
public sealed class SensitiveString(string value)
{
    public string Reveal() => value;

    public override string ToString() => "[redacted]";
}
