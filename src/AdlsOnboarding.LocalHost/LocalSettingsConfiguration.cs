using System.Text.Json;

namespace AdlsOnboarding.LocalHost;

/// <summary>
/// Reads the <c>Values</c> of a Functions <c>local.settings.json</c>, so both hosts take the same settings file:
/// <c>Adobe__ClientId</c> there is <c>Adobe:ClientId</c> here.
/// </summary>
public static class LocalSettingsConfiguration
{
    public static IConfigurationBuilder AddFunctionsLocalSettings(this IConfigurationBuilder builder, string path)
    {
        if (!File.Exists(path))
        {
            return builder;
        }

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        Dictionary<string, string?> values = [];
        if (document.RootElement.TryGetProperty("Values", out JsonElement section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in section.EnumerateObject())
            {
                values[property.Name.Replace("__", ":", StringComparison.Ordinal)] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
            }
        }

        return builder.AddInMemoryCollection(values);
    }
}
