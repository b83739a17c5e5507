using System.Security.Cryptography;
using System.Text;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>The body of <c>POST /api/onboardings</c>, as the caller sent it (validated by <see cref="OnboardingRequestValidator"/>).</summary>
public sealed record OnboardingRequest(
    string? StorageAccountUrl,
    string? ClientId,
    string? Tenant,
    string? SecretName,
    string? SecretVersion,
    string? Sandbox,
    string? ConnectionName,
    string? Description,
    string? AdoptConnectionId = null);

/// <summary>A validated, normalised onboarding request: every field has passed its rule.</summary>
public sealed record ValidOnboardingRequest(
    string StorageAccountUrl,
    string AccountName,
    string ClientId,
    string Tenant,
    string SecretName,
    string? SecretVersion,
    string Sandbox,
    string ConnectionName,
    string Description,
    string? AdoptConnectionId = null)
{
    /// <summary>One orchestration per (sandbox, account): the id is derived, never random.</summary>
    public string InstanceId => OnboardingInstanceId.For(Sandbox, AccountName);

    /// <summary>A stable fingerprint of what was asked, so a repeated request can join a running onboarding.</summary>
    public string Fingerprint
    {
        get
        {
            // A request without adoptConnectionId keeps the fingerprint it had before the field existed.
            string canonical = string.Join('\n', StorageAccountUrl, ClientId, Tenant, SecretName, SecretVersion ?? "", Sandbox, ConnectionName, Description)
                + (AdoptConnectionId is null ? "" : "\nadopt:" + AdoptConnectionId);
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..32];
        }
    }
}

/// <summary>Builds the deterministic orchestration instance id of an account.</summary>
public static class OnboardingInstanceId
{
    public const string Prefix = "onboard-";

    // Sandbox names and account names are both restricted to [a-z0-9-], so the id needs no escaping.
    public static string For(string sandbox, string accountName) => $"{Prefix}{sandbox}-{accountName}";
}
