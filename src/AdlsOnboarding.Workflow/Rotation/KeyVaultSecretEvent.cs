using System.Text;
using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;

namespace AdlsOnboarding.Workflow.Rotation;

/// <summary>The Key Vault events the product acts on.</summary>
public enum SecretEventKind
{
    NewVersionCreated,
    NearExpiry,

    /// <summary>The version has expired (Key Vault answers it still, so nothing else would notice).</summary>
    Expired,
}

/// <summary>A Key Vault secret event: which vault, which secret, which version. No value (Key Vault never sends one).</summary>
public sealed record KeyVaultSecretEvent(SecretEventKind Kind, string VaultName, string SecretName, string? Version, DateTimeOffset? ExpiresOn);

/// <summary>
/// Reads Key Vault events from a queue message that Event Grid delivered: Event Grid schema or CloudEvents, one event
/// or an array, raw JSON or base64 (however the queue was written). Events of other types are ignored; anything
/// unreadable is reported as such, never thrown.
/// </summary>
public static class KeyVaultSecretEventParser
{
    public const string NewVersionCreatedType = "Microsoft.KeyVault.SecretNewVersionCreated";
    public const string NearExpiryType = "Microsoft.KeyVault.SecretNearExpiry";
    public const string ExpiredType = "Microsoft.KeyVault.SecretExpired";

    public static bool TryParse(string message, out IReadOnlyList<KeyVaultSecretEvent> events, out string? error)
    {
        events = [];
        error = null;
        string json = message.Trim();
        if (!json.StartsWith('{') && !json.StartsWith('['))
        {
            try
            {
                json = Encoding.UTF8.GetString(Convert.FromBase64String(json)).Trim();
            }
            catch (FormatException)
            {
                error = "neither JSON nor base64";
                return false;
            }
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement first = document.RootElement.ValueKind == JsonValueKind.Array && document.RootElement.GetArrayLength() > 0
                ? document.RootElement[0]
                : document.RootElement;
            bool cloudEvents = first.ValueKind == JsonValueKind.Object && first.TryGetProperty("specversion", out _);
            List<KeyVaultSecretEvent> parsed = [];
            if (cloudEvents)
            {
                foreach (CloudEvent cloudEvent in CloudEvent.ParseMany(BinaryData.FromString(json)))
                {
                    Add(parsed, cloudEvent.Type, cloudEvent.Data);
                }
            }
            else
            {
                foreach (EventGridEvent gridEvent in EventGridEvent.ParseMany(BinaryData.FromString(json)))
                {
                    Add(parsed, gridEvent.EventType, gridEvent.Data);
                }
            }

            events = parsed;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            error = $"not an Event Grid or CloudEvents message ({ex.GetType().Name})";
            return false;
        }
    }

    private static void Add(List<KeyVaultSecretEvent> events, string type, BinaryData? data)
    {
        SecretEventKind? kind = type switch
        {
            NewVersionCreatedType => SecretEventKind.NewVersionCreated,
            NearExpiryType => SecretEventKind.NearExpiry,
            ExpiredType => SecretEventKind.Expired,
            _ => null,
        };
        if (kind is null || data is null)
        {
            return;
        }

        // Key Vault's event data: {"Id","VaultName","ObjectType","ObjectName","Version","NBF","EXP"}.
        using JsonDocument document = JsonDocument.Parse(data.ToMemory());
        JsonElement root = document.RootElement;
        string? objectType = Text(root, "ObjectType");
        string? vault = Text(root, "VaultName");
        string? name = Text(root, "ObjectName");
        if (!string.Equals(objectType, "Secret", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(vault) || string.IsNullOrEmpty(name))
        {
            throw new InvalidOperationException("a Key Vault event without ObjectType Secret, VaultName and ObjectName");
        }

        DateTimeOffset? expires = root.TryGetProperty("EXP", out JsonElement exp) && exp.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeSeconds(exp.GetInt64())
            : null;
        events.Add(new KeyVaultSecretEvent(kind.Value, vault, name, Text(root, "Version"), expires));
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
