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

    /// <summary>
    /// With <c>Azure:Credential=LoopbackStaticToken</c> only: the bearer token sent to a Key Vault stand-in on this
    /// machine. Refused for any vault that is not loopback.
    /// </summary>
    public string? StaticToken { get; set; }

    public TokenCredential Create() => Credential switch
    {
        AzureCredentialKind.ManagedIdentity => string.IsNullOrEmpty(ManagedIdentityClientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(ManagedIdentityClientId)),
        AzureCredentialKind.AzureCli => new AzureCliCredential(),
        AzureCredentialKind.AzureDeveloperCli => new AzureDeveloperCliCredential(),
        AzureCredentialKind.LoopbackStaticToken => new LoopbackStaticTokenCredential(StaticToken ?? throw new InvalidOperationException("Azure:StaticToken is required with Azure:Credential=LoopbackStaticToken.")),
        _ => throw new InvalidOperationException($"Unknown Azure:Credential '{Credential}'."),
    };
}

public enum AzureCredentialKind
{
    ManagedIdentity,
    AzureCli,
    AzureDeveloperCli,

    /// <summary>For local runs against a Key Vault stand-in on loopback (the reliability suites): a fixed token.</summary>
    LoopbackStaticToken,
}

/// <summary>A fixed bearer token, for a Key Vault stand-in on loopback only (enforced where it is used).</summary>
public sealed class LoopbackStaticTokenCredential(string token) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(token, DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
