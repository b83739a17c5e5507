using System.Text.RegularExpressions;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// Validates an onboarding request up front, field by field, so that nothing is started or written for a bad one.
/// Field names in the errors are the JSON property names the caller used.
/// </summary>
public static partial class OnboardingRequestValidator
{
    public const int MaxConnectionNameLength = 128;
    public const int MaxDescriptionLength = 1024;

    public static bool TryValidate(OnboardingRequest request, out ValidOnboardingRequest? valid, out Dictionary<string, string[]> errors)
    {
        errors = [];
        string? url = null, account = null;

        if (string.IsNullOrWhiteSpace(request.StorageAccountUrl))
        {
            errors["storageAccountUrl"] = ["Required: the ADLS Gen2 endpoint, https://<account>.dfs.core.windows.net."];
        }
        else if (!TryParseAccountUrl(request.StorageAccountUrl, out url, out account, out string? urlError))
        {
            errors["storageAccountUrl"] = [urlError!];
        }

        string? clientId = null;
        if (string.IsNullOrWhiteSpace(request.ClientId))
        {
            errors["clientId"] = ["Required: the service principal's application (client) id."];
        }
        else if (!Guid.TryParseExact(request.ClientId, "D", out Guid parsedClientId))
        {
            errors["clientId"] = ["Must be a GUID such as 00000000-0000-0000-0000-000000000000."];
        }
        else
        {
            clientId = parsedClientId.ToString("D");
        }

        string? tenant = null;
        if (string.IsNullOrWhiteSpace(request.Tenant))
        {
            errors["tenant"] = ["Required: the Microsoft Entra tenant id (GUID) or a verified domain name."];
        }
        else if (Guid.TryParseExact(request.Tenant, "D", out Guid parsedTenant))
        {
            tenant = parsedTenant.ToString("D");
        }
        else if (request.Tenant.Length <= 253 && TenantDomain().IsMatch(request.Tenant))
        {
            tenant = request.Tenant.ToLowerInvariant();
        }
        else
        {
            errors["tenant"] = ["Must be a tenant GUID or a domain name such as contoso.onmicrosoft.com."];
        }

        if (string.IsNullOrWhiteSpace(request.SecretName))
        {
            errors["secretName"] = ["Required: the name of the Key Vault secret that holds the service principal's key."];
        }
        else if (!KeyVaultSecretName().IsMatch(request.SecretName))
        {
            errors["secretName"] = ["Must be 1-127 characters: letters, digits and hyphens (Key Vault's rule)."];
        }

        if (request.SecretVersion is not null && !KeyVaultSecretVersion().IsMatch(request.SecretVersion))
        {
            errors["secretVersion"] = ["Must be a Key Vault secret version: 32 hexadecimal characters."];
        }

        if (string.IsNullOrWhiteSpace(request.Sandbox))
        {
            errors["sandbox"] = ["Required: the Experience Platform sandbox name, e.g. prod."];
        }
        else if (!SandboxName().IsMatch(request.Sandbox))
        {
            errors["sandbox"] = ["Must be a sandbox name: lowercase letters, digits and hyphens, starting with a letter, at most 256 characters."];
        }

        string? name = request.ConnectionName;
        if (name is not null && (name.Length is 0 or > MaxConnectionNameLength || !ConnectionName().IsMatch(name)))
        {
            errors["connectionName"] = [$"Must be 1-{MaxConnectionNameLength} characters: letters, digits, spaces (not at either end), _ . - ( )."];
        }

        string? description = request.Description;
        if (description is not null && (description.Length > MaxDescriptionLength || description.Any(char.IsControl)))
        {
            errors["description"] = [$"Must be at most {MaxDescriptionLength} characters without control characters."];
        }

        if (errors.Count > 0)
        {
            valid = null;
            return false;
        }

        valid = new ValidOnboardingRequest(
            StorageAccountUrl: url!,
            AccountName: account!,
            ClientId: clientId!,
            Tenant: tenant!,
            SecretName: request.SecretName!,
            SecretVersion: request.SecretVersion?.ToLowerInvariant(),
            Sandbox: request.Sandbox!,
            ConnectionName: name ?? DefaultConnectionName(account!),
            Description: description ?? $"ADLS Gen2 account {account} (managed by AdlsOnboarding)");
        return true;
    }

    /// <summary>The default connection name: derived from the account alone, so it is stable across calls.</summary>
    public static string DefaultConnectionName(string accountName) => $"adls-gen2-{accountName}";

    /// <summary>Accepts exactly <c>https://&lt;account&gt;.dfs.core.windows.net</c> (an optional trailing slash is dropped).</summary>
    public static bool TryParseAccountUrl(string value, out string? normalized, out string? accountName, out string? error)
    {
        normalized = accountName = error = null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri))
        {
            error = "Must be an absolute URL: https://<account>.dfs.core.windows.net.";
            return false;
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            error = "Must use https.";
            return false;
        }

        // The authority as written: Uri normalises away an explicit :443 and upper case, which must not pass unseen.
        string authority = value["https://".Length..].Split('/', '?', '#')[0];
        if (authority.Contains(':') || authority.Contains('@') || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || value.TrimEnd('/').Count(c => c == '/') != 2)
        {
            error = "Must be the account endpoint alone: no port, user info, path, query or fragment.";
            return false;
        }

        if (!string.Equals(authority, authority.ToLowerInvariant(), StringComparison.Ordinal))
        {
            error = "Must be written in lower case, as storage account names are.";
            return false;
        }

        Match match = DfsHost().Match(uri.IdnHost);
        if (!match.Success || !string.Equals(uri.Host, uri.IdnHost, StringComparison.Ordinal))
        {
            error = "Must be an ADLS Gen2 endpoint: https://<account>.dfs.core.windows.net, where <account> is 3-24 lowercase letters and digits.";
            return false;
        }

        accountName = match.Groups["account"].Value;
        normalized = $"https://{accountName}.dfs.core.windows.net";
        return true;
    }

    [GeneratedRegex(@"^(?<account>[a-z0-9]{3,24})\.dfs\.core\.windows\.net$", RegexOptions.CultureInvariant)]
    private static partial Regex DfsHost();

    [GeneratedRegex(@"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex TenantDomain();

    [GeneratedRegex(@"^[0-9a-zA-Z-]{1,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyVaultSecretName();

    [GeneratedRegex(@"^[0-9a-fA-F]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyVaultSecretVersion();

    [GeneratedRegex(@"^[a-z][a-z0-9-]{0,255}$", RegexOptions.CultureInvariant)]
    private static partial Regex SandboxName();

    // Connection names end up inside Flow Service filter expressions (property=name==...): keep them to a plain set.
    [GeneratedRegex(@"^[A-Za-z0-9_.()-]([A-Za-z0-9 _.()-]*[A-Za-z0-9_.()-])?$", RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionName();
}
