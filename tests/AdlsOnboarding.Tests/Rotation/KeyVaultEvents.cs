namespace AdlsOnboarding.Tests.Rotation;

/// <summary>Key Vault events as Event Grid delivers them (Event Grid schema), for the tests.</summary>
public static class KeyVaultEvents
{
    public static string NewVersion(string secretName, string version, string vault = "contoso-kv") =>
        Event("Microsoft.KeyVault.SecretNewVersionCreated", secretName, version, vault);

    public static string NearExpiry(string secretName, string version, string vault = "contoso-kv") =>
        Event("Microsoft.KeyVault.SecretNearExpiry", secretName, version, vault);

    public static string Expired(string secretName, string version, string vault = "contoso-kv") =>
        Event("Microsoft.KeyVault.SecretExpired", secretName, version, vault);

    private static string Event(string type, string secretName, string version, string vault) => $$"""
        [{
          "id": "{{Guid.NewGuid()}}",
          "topic": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/{{vault}}",
          "subject": "{{secretName}}",
          "eventType": "{{type}}",
          "eventTime": "{{DateTimeOffset.UtcNow:O}}",
          "dataVersion": "1",
          "metadataVersion": "1",
          "data": {
            "Id": "https://{{vault}}.vault.azure.net/secrets/{{secretName}}/{{version}}",
            "VaultName": "{{vault}}",
            "ObjectType": "Secret",
            "ObjectName": "{{secretName}}",
            "Version": "{{version}}",
            "NBF": null,
            "EXP": {{DateTimeOffset.UtcNow.AddDays(20).ToUnixTimeSeconds()}}
          }
        }]
        """;
}
