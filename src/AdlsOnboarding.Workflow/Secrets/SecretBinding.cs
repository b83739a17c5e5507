using System.Text.RegularExpressions;

namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// Whom a service principal key is asked for: the service principal (client id, tenant) and the storage account of
/// the request, and the Experience Platform sandbox the key would be sent to. Values as the request validator left them
/// (GUIDs and domains lower-case). No secret. <see cref="Sandbox"/> is null only in inputs scheduled before it was
/// carried; such a binding never meets a version whose tags list sandboxes.
/// </summary>
public sealed record SecretBinding(string ClientId, string Tenant, string AccountName, string? Sandbox = null);

/// <summary>
/// The tagging rule, in one place. A secret version is usable for a <see cref="SecretBinding"/> only if the vault's
/// operator tagged that version with the service principal's client id and tenant (and, where the version lists
/// accounts, with the request's account). The request cannot vouch for itself: callers share one function key, so
/// the vault says whose key it is.
/// </summary>
public static partial class SecretBindingTags
{
    /// <summary>The service principal's application (client) id, a GUID.</summary>
    public const string ClientId = "adls-onboarding-client-id";

    /// <summary>The tenant, exactly in the form requests name it: a tenant GUID, or a domain name.</summary>
    public const string Tenant = "adls-onboarding-tenant";

    /// <summary>Optional: the storage account names (comma-separated) the key may be sent for; absent: any account.</summary>
    public const string Accounts = "adls-onboarding-accounts";

    /// <summary>
    /// Optional: the Experience Platform sandboxes (comma-separated) whose connections may carry the key; absent: any
    /// sandbox. Without it, anyone holding the function key can have the key sent to a connection in a sandbox of their
    /// choosing (and read the account through it there).
    /// </summary>
    public const string Sandboxes = "adls-onboarding-sandboxes";

    /// <summary>
    /// Whether <paramref name="tags"/> bind the version to <paramref name="binding"/>; if not, why (for logs only).
    /// Tag names match without regard to case; a name present twice in different cases binds nothing.
    /// <list type="bullet">
    /// <item>client id: both sides GUIDs, compared as GUIDs (so case does not matter);</item>
    /// <item>tenant: a GUID tag is met only by the same GUID, a domain tag only by the same domain (DNS names ignore
    /// case). A GUID never meets a domain or the reverse, even for the same tenant: proving that would need a
    /// directory look-up, so the operator tags the form the requests use;</item>
    /// <item>accounts: a comma-separated list of account names (3-24 lowercase letters or digits; spaces around the
    /// commas allowed); the request's account must be one of them. A list with any other entry binds nothing.</item>
    /// </list>
    /// </summary>
    public static bool Binds(IReadOnlyDictionary<string, string>? tags, SecretBinding binding, out string reason)
    {
        tags ??= new Dictionary<string, string>();
        if (!TryFind(tags, ClientId, out string? clientId, out reason) || !TryFind(tags, Tenant, out string? tenant, out reason)
            || !TryFind(tags, Accounts, out string? accounts, out reason) || !TryFind(tags, Sandboxes, out string? sandboxes, out reason))
        {
            return false;
        }

        if (clientId is null || tenant is null)
        {
            reason = $"it has no {(clientId is null ? ClientId : Tenant)} tag";
            return false;
        }

        if (!Guid.TryParseExact(clientId, "D", out Guid taggedClient))
        {
            reason = $"its {ClientId} tag is not a GUID";
            return false;
        }

        if (!Guid.TryParseExact(binding.ClientId, "D", out Guid requestedClient) || taggedClient != requestedClient)
        {
            reason = $"its {ClientId} tag names another service principal ({taggedClient:D})";
            return false;
        }

        if (!TenantMatches(tenant, binding.Tenant))
        {
            reason = $"its {Tenant} tag names another tenant ({tenant})";
            return false;
        }

        if (accounts is not null)
        {
            string[] names = accounts.Split(',').Select(a => a.Trim(' ')).ToArray();
            if (names.Any(n => !AccountName().IsMatch(n)))
            {
                reason = $"its {Accounts} tag is not a comma-separated list of storage account names";
                return false;
            }

            if (!names.Contains(binding.AccountName, StringComparer.Ordinal))
            {
                reason = $"its {Accounts} tag does not list account {binding.AccountName}";
                return false;
            }
        }

        if (sandboxes is not null)
        {
            string[] names = sandboxes.Split(',').Select(a => a.Trim(' ')).ToArray();
            if (names.Any(n => !SandboxName().IsMatch(n)))
            {
                reason = $"its {Sandboxes} tag is not a comma-separated list of sandbox names";
                return false;
            }

            if (binding.Sandbox is null || !names.Contains(binding.Sandbox, StringComparer.Ordinal))
            {
                reason = $"its {Sandboxes} tag does not list sandbox {binding.Sandbox ?? "(none given)"}";
                return false;
            }
        }

        reason = "";
        return true;
    }

    /// <summary>The tags that bind a version to exactly this service principal (and, if given, these accounts).</summary>
    public static Dictionary<string, string> For(string clientId, string tenant, params string[] accounts)
    {
        Dictionary<string, string> tags = new() { [ClientId] = clientId, [Tenant] = tenant };
        if (accounts.Length > 0)
        {
            tags[Accounts] = string.Join(',', accounts);
        }

        return tags;
    }

    private static bool TenantMatches(string tagged, string requested) =>
        Guid.TryParseExact(tagged, "D", out Guid taggedId)
            ? Guid.TryParseExact(requested, "D", out Guid requestedId) && taggedId == requestedId
            : !Guid.TryParseExact(requested, "D", out _) && string.Equals(tagged, requested, StringComparison.OrdinalIgnoreCase);

    private static bool TryFind(IReadOnlyDictionary<string, string> tags, string name, out string? value, out string reason)
    {
        List<string?> found = [.. tags.Where(t => string.Equals(t.Key, name, StringComparison.OrdinalIgnoreCase)).Select(t => (string?)t.Value)];
        value = found.Count == 1 ? found[0] : null;
        reason = found.Count > 1 ? $"it has the {name} tag more than once" : found.Count == 1 && value is null ? $"its {name} tag has no value" : "";
        return reason.Length == 0;
    }

    [GeneratedRegex("^[a-z0-9]{3,24}$", RegexOptions.CultureInvariant)]
    private static partial Regex AccountName();

    [GeneratedRegex(Onboarding.ValidationRules.SandboxPattern, RegexOptions.CultureInvariant)]
    private static partial Regex SandboxName();
}
