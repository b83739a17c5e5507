using System.Text.Json;
using AdlsOnboarding.Simulator.BlobStorage;
using AdlsOnboarding.Simulator.Entra;

namespace AdlsOnboarding.Simulator;

/// <summary>
/// What the Entra + blob stand-in serves when it runs as its own process (<c>entra-blob --setup file.json</c>): the
/// tenants with their apps and client secrets, the accounts with the principals that may read them, and optionally
/// how to serve any other account name. Local runs and the benchmark use it; tests set the state up in code.
/// </summary>
public sealed record EntraBlobSetup(IReadOnlyList<EntraBlobSetup.Tenant>? Tenants, IReadOnlyList<EntraBlobSetup.Account>? Accounts, EntraBlobSetup.AnyAccount? OtherAccounts)
{
    public sealed record Tenant(string Id, IReadOnlyList<string>? Domains, IReadOnlyList<App>? Apps);

    public sealed record App(string ClientId, string? Name, IReadOnlyList<string>? Secrets);

    /// <summary>An account of <paramref name="TenantId"/>; <paramref name="Readers"/> hold Storage Blob Data Reader on it.</summary>
    public sealed record Account(string Name, string TenantId, IReadOnlyList<string>? Readers, bool NetworkRulesDenyCaller = false);

    /// <summary>Every account name not listed: of <paramref name="TenantId"/>, readable by <paramref name="Readers"/>.</summary>
    public sealed record AnyAccount(string TenantId, IReadOnlyList<string>? Readers);

    public static EntraBlobSetup Read(string path) =>
        JsonSerializer.Deserialize<EntraBlobSetup>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))
        ?? throw new InvalidOperationException($"{path} holds no stand-in setup.");

    public void ApplyTo(EntraBlobStandIn standIn)
    {
        foreach (Tenant tenant in Tenants ?? [])
        {
            StandInTenant added = standIn.Entra.AddTenant(tenant.Id, [.. tenant.Domains ?? []]);
            foreach (App app in tenant.Apps ?? [])
            {
                StandInApp registered = added.AddApp(app.ClientId, app.Name ?? "adls-onboarding-local");
                foreach (string secret in app.Secrets ?? [])
                {
                    registered.AddSecret(secret);
                }
            }
        }

        foreach (Account account in Accounts ?? [])
        {
            StandInAccount added = standIn.Blobs.AddAccount(account.Name, account.TenantId);
            added.NetworkRulesDenyCaller = account.NetworkRulesDenyCaller;
            foreach (string reader in account.Readers ?? [])
            {
                added.GrantBlobDataReader(reader);
            }
        }

        if (OtherAccounts is { } other)
        {
            standIn.Blobs.ServeAnyAccount(other.TenantId, [.. other.Readers ?? []]);
        }
    }
}
