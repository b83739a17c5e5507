using System.Text;
using AdlsOnboarding.Workflow.Rotation;

namespace AdlsOnboarding.Tests.Rotation;

public sealed class KeyVaultSecretEventParserTests
{
    [Fact]
    public void TryParse_EventGridArray_ReadsTheSecretEvent()
    {
        Assert.True(KeyVaultSecretEventParser.TryParse(KeyVaultEvents.NewVersion("sp-key", "0123456789abcdef0123456789abcdef"), out IReadOnlyList<KeyVaultSecretEvent> events, out _));

        KeyVaultSecretEvent parsed = Assert.Single(events);
        Assert.Equal(SecretEventKind.NewVersionCreated, parsed.Kind);
        Assert.Equal("contoso-kv", parsed.VaultName);
        Assert.Equal("sp-key", parsed.SecretName);
        Assert.Equal("0123456789abcdef0123456789abcdef", parsed.Version);
        Assert.NotNull(parsed.ExpiresOn);
    }

    [Fact]
    public void TryParse_Base64Message_ReadsTheSecretEvent()
    {
        string base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(KeyVaultEvents.NearExpiry("sp-key", "v1")));

        Assert.True(KeyVaultSecretEventParser.TryParse(base64, out IReadOnlyList<KeyVaultSecretEvent> events, out _));
        Assert.Equal(SecretEventKind.NearExpiry, Assert.Single(events).Kind);
    }

    [Fact]
    public void TryParse_CloudEvent_ReadsTheSecretEvent()
    {
        const string cloudEvent = """
            {"specversion":"1.0","type":"Microsoft.KeyVault.SecretNewVersionCreated","source":"/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1","id":"1","time":"2026-11-28T10:00:00Z","subject":"sp-key",
             "data":{"Id":"https://kv1.vault.azure.net/secrets/sp-key/abc","VaultName":"kv1","ObjectType":"Secret","ObjectName":"sp-key","Version":"abc","NBF":null,"EXP":null}}
            """;

        Assert.True(KeyVaultSecretEventParser.TryParse(cloudEvent, out IReadOnlyList<KeyVaultSecretEvent> events, out _));
        Assert.Equal(("kv1", "sp-key"), (Assert.Single(events).VaultName, events[0].SecretName));
    }

    [Fact]
    public void TryParse_OtherEventTypes_Ignored()
    {
        string certificate = KeyVaultEvents.NewVersion("c", "v").Replace("SecretNewVersionCreated", "CertificateNewVersionCreated", StringComparison.Ordinal);

        Assert.True(KeyVaultSecretEventParser.TryParse(certificate, out IReadOnlyList<KeyVaultSecretEvent> events, out _));
        Assert.Empty(events);
    }

    [Theory]
    [InlineData("not json at all!")]
    [InlineData("{\"hello\":1}")]
    [InlineData("[{\"eventType\":\"Microsoft.KeyVault.SecretNewVersionCreated\",\"data\":{\"ObjectType\":\"Secret\"}}]")]
    public void TryParse_Malformed_ReportsWithoutThrowing(string message)
    {
        Assert.False(KeyVaultSecretEventParser.TryParse(message, out IReadOnlyList<KeyVaultSecretEvent> events, out string? error));
        Assert.Empty(events);
        Assert.NotNull(error);
    }
}
