using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.AspNetCore.Http;

namespace AdlsOnboarding.Api;

/// <summary>
/// Reads the JSON body of an onboarding request strictly: a bounded size, an object of known string fields, no
/// duplicates. Each problem is reported against the field it concerns.
/// </summary>
public static class OnboardingRequestReader
{
    private static readonly string[] KnownFields =
        ["storageAccountUrl", "clientId", "tenant", "secretName", "secretVersion", "sandbox", "connectionName", "description", "adoptConnectionId"];

    /// <summary>A registration carries the same fields, but its sandbox and account come from the path.</summary>
    private static readonly string[] RegistrationFields = [.. KnownFields.Where(f => f != "sandbox")];

    public static async Task<(OnboardingRequest? Request, Dictionary<string, string[]> Errors)> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken, bool registration = false)
    {
        string[] known = registration ? RegistrationFields : KnownFields;
        Dictionary<string, string[]> errors = [];
        if (request.ContentLength > maxBytes)
        {
            errors["body"] = [$"The body is larger than {maxBytes} bytes."];
            return (null, errors);
        }

        byte[] body;
        using (MemoryStream buffer = new())
        {
            byte[] chunk = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    errors["body"] = [$"The body is larger than {maxBytes} bytes."];
                    return (null, errors);
                }

                buffer.Write(chunk, 0, read);
            }

            body = buffer.ToArray();
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            errors["body"] = [$"The body is not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1})."];
            return (null, errors);
        }
        catch (InvalidOperationException)
        {
            // The duplicate-name check decodes every field name; an escaped unpaired surrogate (\ud800) cannot be.
            errors["body"] = ["A field name is not valid Unicode text (an unpaired surrogate)."];
            return (null, errors);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors["body"] = ["The body must be a JSON object."];
                return (null, errors);
            }

            Dictionary<string, string?> values = [];
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (!TryGetName(property, out string? name))
                {
                    errors["body"] = ["A field name is not valid Unicode text (an unpaired surrogate)."];
                }
                else if (!known.Contains(name, StringComparer.Ordinal))
                {
                    errors[Printable(name)] = ["Unknown field."];
                }
                else if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    errors[name] = ["Must be a string."];
                }
                else if (TryGetString(property.Value, out string? value))
                {
                    values[name] = value;
                }
                else
                {
                    errors[name] = [ValidationRules.ControlCharacterRule];
                }
            }

            if (errors.Count > 0)
            {
                return (null, errors);
            }

            return (new OnboardingRequest(
                values.GetValueOrDefault("storageAccountUrl"),
                values.GetValueOrDefault("clientId"),
                values.GetValueOrDefault("tenant"),
                values.GetValueOrDefault("secretName"),
                values.GetValueOrDefault("secretVersion"),
                values.GetValueOrDefault("sandbox"),
                values.GetValueOrDefault("connectionName"),
                values.GetValueOrDefault("description"),
                values.GetValueOrDefault("adoptConnectionId")), errors);
        }
    }

    // JSON can escape an unpaired surrogate (\ud800), which is no text at all: the reader refuses to decode it.
    private static bool TryGetString(JsonElement element, out string? value)
    {
        try
        {
            value = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = null;
            return false;
        }
    }

    private static bool TryGetName(JsonProperty property, [NotNullWhen(true)] out string? name)
    {
        try
        {
            name = property.Name;
            return true;
        }
        catch (InvalidOperationException)
        {
            name = null;
            return false;
        }
    }

    // Unknown field names are echoed back; keep them short and printable.
    private static string Printable(string name)
    {
        string cleaned = new(name.Where(c => !char.IsControl(c)).Take(64).ToArray());
        return cleaned.Length == 0 ? "(unnamed)" : cleaned;
    }
}
