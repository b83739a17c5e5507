using System.Diagnostics.CodeAnalysis;
using AdlsOnboarding.Workflow.Secrets;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// Validates an onboarding request up front, field by field, so that nothing is started or written for a bad one.
/// Field names in the errors are the JSON property names the caller used. A value is rejected, never repaired
/// (<see cref="ValidationRules.Malformed"/>); the only rewriting is to canonical forms of the same value: GUIDs, secret
/// names and versions and a tenant domain in lower case (Key Vault and Entra compare them without regard to case), and
/// the account URL without its one trailing slash.
/// </summary>
public sealed class OnboardingRequestValidator(IOptions<ReservedSecretNames> reservedSecretNames)
{
    public bool TryValidate(OnboardingRequest request, [NotNullWhen(true)] out ValidOnboardingRequest? valid, out Dictionary<string, string[]> errors)
    {
        errors = [];
        string? url = null, account = null;
        if (Present(request.StorageAccountUrl, "storageAccountUrl", "Required: the ADLS Gen2 endpoint, https://<account>.dfs.core.windows.net.", errors) is { } urlText
            && !TryParseAccountUrl(urlText, out url, out account, out string? urlError))
        {
            errors["storageAccountUrl"] = [urlError];
        }

        string? clientId = Present(request.ClientId, "clientId", "Required: the service principal's application (client) id.", errors);
        if (clientId is not null && !ValidationRules.IsGuid(clientId))
        {
            errors["clientId"] = ["Must be a GUID such as 00000000-0000-0000-0000-000000000000."];
        }

        string? tenant = Present(request.Tenant, "tenant", "Required: the Microsoft Entra tenant id (GUID) or a verified domain name.", errors);
        if (tenant is not null && !ValidationRules.IsTenant(tenant))
        {
            errors["tenant"] = ["Must be a tenant GUID or a domain name such as contoso.onmicrosoft.com."];
        }

        string? secretName = Present(request.SecretName, "secretName", "Required: the name of the Key Vault secret that holds the service principal's key.", errors);
        if (secretName is not null && !ValidationRules.IsSecretName(secretName))
        {
            errors["secretName"] = ["Must be 1-127 characters: letters, digits and hyphens (Key Vault's rule)."];
        }
        else if (secretName is not null && reservedSecretNames.Value.Contains(secretName))
        {
            errors["secretName"] = ["Names one of this app's own secrets, which never leave the app: name the secret that holds the service principal's key."];
        }

        string? secretVersion = Optional(request.SecretVersion, "secretVersion", errors);
        if (secretVersion is not null && !ValidationRules.IsSecretVersion(secretVersion))
        {
            errors["secretVersion"] = ["Must be a Key Vault secret version: 32 hexadecimal characters."];
        }

        string? sandbox = Present(request.Sandbox, "sandbox", "Required: the Experience Platform sandbox name, e.g. prod.", errors);
        if (sandbox is not null && !ValidationRules.IsSandboxName(sandbox))
        {
            errors["sandbox"] = [ValidationRules.SandboxRule];
        }

        string? name = Optional(request.ConnectionName, "connectionName", errors);
        if (name is not null && !ValidationRules.IsConnectionName(name))
        {
            errors["connectionName"] = [$"Must be 1-{ValidationRules.MaxConnectionNameLength} characters: letters, digits, spaces (not at either end), _ . - ( )."];
        }

        string? description = Optional(request.Description, "description", errors);
        if (description is not null && description.Length > ValidationRules.MaxDescriptionLength)
        {
            errors["description"] = [$"Must be at most {ValidationRules.MaxDescriptionLength} characters."];
        }

        string? adopt = Optional(request.AdoptConnectionId, "adoptConnectionId", errors);
        if (adopt is not null && !ValidationRules.IsConnectionId(adopt))
        {
            errors["adoptConnectionId"] = [ValidationRules.ConnectionIdRule];
        }

        if (errors.Count > 0)
        {
            valid = null;
            return false;
        }

        valid = new ValidOnboardingRequest(
            StorageAccountUrl: url!,
            AccountName: account!,
            ClientId: clientId!.ToLowerInvariant(),
            Tenant: tenant!.ToLowerInvariant(),
            SecretName: secretName!.ToLowerInvariant(),
            SecretVersion: secretVersion?.ToLowerInvariant(),
            Sandbox: sandbox!,
            ConnectionName: name ?? DefaultConnectionName(account!),
            Description: description ?? $"ADLS Gen2 account {account} (managed by AdlsOnboarding)",
            AdoptConnectionId: adopt);
        return true;
    }

    /// <summary>The default connection name: derived from the account alone, so it is stable across calls.</summary>
    public static string DefaultConnectionName(string accountName) => $"adls-gen2-{accountName}";

    /// <summary>Accepts exactly <c>https://&lt;account&gt;.dfs.core.windows.net</c> (one trailing slash is dropped).</summary>
    public static bool TryParseAccountUrl(string value, [NotNullWhen(true)] out string? normalized, [NotNullWhen(true)] out string? accountName, [NotNullWhen(false)] out string? error)
    {
        normalized = accountName = null;
        error = ValidationRules.Malformed(value);
        if (error is not null)
        {
            return false;
        }

        if (ValidationRules.IsStorageAccountUrl(value))
        {
            accountName = value["https://".Length..value.IndexOf('.', StringComparison.Ordinal)];
            normalized = $"https://{accountName}.dfs.core.windows.net";
            return true;
        }

        error = WhatIsWrongWith(value);
        return false;
    }

    // The pattern decides; this only says why a value failed it, in the caller's terms.
    private static string WhatIsWrongWith(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri))
        {
            return "Must be an absolute URL: https://<account>.dfs.core.windows.net.";
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return "Must use https.";
        }

        string authority = value.Length > "https://".Length ? value["https://".Length..].Split('/', '?', '#', '\\')[0] : "";
        string rest = value.Length > "https://".Length ? value[("https://".Length + authority.Length)..] : "";
        if (authority.Contains(':') || authority.Contains('@') || rest is not ("" or "/"))
        {
            return "Must be the account endpoint alone: no port, user info, path, query or fragment.";
        }

        if (!string.Equals(authority, authority.ToLowerInvariant(), StringComparison.Ordinal))
        {
            return "Must be written in lower case, as storage account names are.";
        }

        return "Must be an ADLS Gen2 endpoint: https://<account>.dfs.core.windows.net, where <account> is 3-24 lowercase letters and digits.";
    }

    /// <summary>A required field: its value, or null with the field's error recorded.</summary>
    private static string? Present(string? value, string field, string required, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            errors[field] = [required];
            return null;
        }

        return Optional(value, field, errors);
    }

    /// <summary>An optional field: its value if given and well formed, or null (with the error recorded if malformed).</summary>
    private static string? Optional(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (ValidationRules.Malformed(value) is { } malformed)
        {
            errors[field] = [malformed];
            return null;
        }

        return value;
    }
}
