using System.ComponentModel.DataAnnotations;

namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>Settings of the secret store (configuration section <c>Secrets</c>).</summary>
public sealed class SecretStoreOptions
{
    public const string Section = "Secrets";

    /// <summary>
    /// The vault of the service principal keys, e.g. <c>https://my-vault.vault.azure.net/</c>. Unset: they come from
    /// <see cref="Local"/>.
    /// </summary>
    public Uri? KeyVaultUri { get; set; }

    /// <summary>
    /// The vault of the app's own secrets (the IMS client secret, the status-token key), which the app reads from
    /// nowhere else, so that no request naming a secret can reach them. Unset (local runs): the app's secrets come
    /// from where the service principal keys come from.
    /// </summary>
    public Uri? AppKeyVaultUri { get; set; }

    /// <summary>
    /// For local runs only: secret name → value, from <c>local.settings.json</c>, user secrets or environment
    /// (<c>Secrets__Local__my-secret</c>). Ignored when a Key Vault is configured.
    /// </summary>
    public Dictionary<string, string> Local { get; set; } = [];

    /// <summary>
    /// For local runs only: the tags of each local secret (<c>Secrets:LocalTags:&lt;name&gt;:&lt;tag&gt;</c> = value),
    /// what <c>az keyvault secret set --tags</c> puts on a Key Vault version, so local runs obey the same binding rule
    /// (<see cref="SecretBindingTags"/>). A local secret without tags serves no service principal.
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> LocalTags { get; set; } = [];

    /// <summary>
    /// For a Key Vault stand-in on loopback only (local runs, reliability suites): trust exactly the server certificate
    /// with this SHA-1 thumbprint, and accept its bearer challenge. Applies to each vault that is loopback, no other.
    /// </summary>
    public string? LoopbackCertificateThumbprint { get; set; }

    /// <summary>Retries inside the Key Vault client before a failure goes back to the durable retry policy.</summary>
    [Range(0, 5)]
    public int KeyVaultMaxRetries { get; set; } = 2;
}
