using Azure.Core;
using Azure.Identity;

namespace AdlsOnboarding.Workflow.Hosting;

/// <summary>
/// Which Azure credential the app uses (configuration section <c>Azure</c>). Chosen explicitly, never probed:
/// <c>DefaultAzureCredential</c> would try the managed-identity endpoint on machines that have none.
/// </summary>
public sealed class AzureCredentialOptions
{
    public const string Section = "Azure";

    /// <summary><c>ManagedIdentity</c> (Azure), <c>AzureCli</c> or <c>AzureDeveloperCli</c> (a developer's machine).</summary>
    public AzureCredentialKind Credential { get; set; } = AzureCredentialKind.ManagedIdentity;

    /// <summary>Client id of the user-assigned managed identity (the Bicep sets <c>AZURE_CLIENT_ID</c> to it).</summary>
    public string? ManagedIdentityClientId { get; set; }

    public TokenCredential Create() => Credential switch
    {
        AzureCredentialKind.ManagedIdentity => string.IsNullOrEmpty(ManagedIdentityClientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(ManagedIdentityClientId)),
        AzureCredentialKind.AzureCli => new AzureCliCredential(),
        AzureCredentialKind.AzureDeveloperCli => new AzureDeveloperCliCredential(),
        _ => throw new InvalidOperationException($"Unknown Azure:Credential '{Credential}'."),
    };
}

public enum AzureCredentialKind
{
    ManagedIdentity,
    AzureCli,
    AzureDeveloperCli,
}
