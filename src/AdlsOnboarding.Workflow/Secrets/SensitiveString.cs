using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// A secret value in memory. It prints as <c>[redacted]</c> so that it cannot reach a log line, an exception
/// message or a serialized payload by accident; <see cref="Reveal"/> is called only where the value is sent.
/// System.Text.Json refuses it (<see cref="SensitiveStringJsonConverter"/>): the one place it is written as JSON is a
/// request body property that names its own converter (the Flow Service's, see <c>Adobe.FlowServiceJson</c>).
/// </summary>
[JsonConverter(typeof(SensitiveStringJsonConverter))]
public sealed class SensitiveString(string value)
{
    public string Reveal() => value;

    public override string ToString() => "[redacted]";
}

/// <summary>
/// The default for <see cref="SensitiveString"/>: neither written nor read. A payload, a durable input or output or a
/// log state that would carry a secret fails loudly instead of writing it (or an empty object that hides the loss).
/// </summary>
public sealed class SensitiveStringJsonConverter : JsonConverter<SensitiveString>
{
    public override SensitiveString Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new JsonException("A secret is never read from JSON.");

    public override void Write(Utf8JsonWriter writer, SensitiveString value, JsonSerializerOptions options) =>
        throw new JsonException("A secret is never written as JSON, except into a request body that sends it.");
}
