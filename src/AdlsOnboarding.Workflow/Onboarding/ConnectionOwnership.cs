using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// Which Adobe connections the app may change (PATCH) or delete: the ones it created, and the ones a request named in
/// <c>adoptConnectionId</c> that already pointed at the account with the request's service principal and tenant. The
/// account's record holds the id (the first signal) and Adobe's <c>createdClient</c> of it (the second, checked again
/// before every PATCH and DELETE). Anything else with the account's name or URL is someone else's: a
/// <see cref="ConflictCode"/> failure naming it, and it is never touched. See docs/ownership.md.
/// </summary>
public sealed class ConnectionOwnership(IOptions<AdobeOptions> adobeOptions)
{
    /// <summary>A connection the app may not touch stands in the way; permanent.</summary>
    public const string ConflictCode = "ConnectionConflict";

    /// <summary>The connection named in <c>adoptConnectionId</c> does not exist in the sandbox; permanent.</summary>
    public const string AdoptNotFoundCode = "ConnectionNotFound";

    /// <summary>
    /// Adobe's <c>createdClient</c> of what the app creates: for an OAuth server-to-server credential, the client id of
    /// the IMS token (the API key), and <c>createdBy</c> has the same value (a service token).
    /// </summary>
    public string OurClient => adobeOptions.Value.ClientId;

    /// <summary>
    /// Why the connection an account's record names is no longer the one the app may touch, or null: another connection
    /// spec, another URL, or another <c>createdClient</c> than the one recorded (a record written before createdClient was
    /// recorded trusts only connections this app created).
    /// </summary>
    public string? WhyNotRecorded(FlowConnection connection, string storageAccountUrl, AccountRecord record)
    {
        string expectedClient = string.IsNullOrEmpty(record.ConnectionCreatedClient) ? OurClient : record.ConnectionCreatedClient;
        if (!SameSpec(connection))
        {
            return "it is not an ADLS Gen2 connection";
        }

        if (!SameUrl(connection, storageAccountUrl))
        {
            return "it no longer points at this account";
        }

        return string.Equals(connection.CreatedClient, expectedClient, StringComparison.Ordinal)
            ? null
            : string.IsNullOrEmpty(record.ConnectionCreatedClient)
                ? "this app did not create it (it was adopted by name under the removed Onboarding:AdoptExistingConnections rule)"
                : "Adobe names another creator (createdClient) than the one recorded";
    }

    /// <summary>
    /// Why a connection named in <c>adoptConnectionId</c> may not be adopted, or null: it must be an ADLS Gen2 connection
    /// that already points at the account with the request's service principal and tenant. Only the differing field is
    /// named, never another team's values.
    /// </summary>
    public string? WhyNotAdoptable(FlowConnection connection, OnboardingInput request)
    {
        List<string> different = [];
        if (!SameSpec(connection))
        {
            different.Add("connection spec");
        }

        if (!SameUrl(connection, request.StorageAccountUrl))
        {
            different.Add("url");
        }

        if (!string.Equals(connection.ServicePrincipalId, request.ClientId, StringComparison.OrdinalIgnoreCase))
        {
            different.Add("servicePrincipalId");
        }

        if (!string.Equals(connection.Tenant, request.Tenant, StringComparison.OrdinalIgnoreCase))
        {
            different.Add("tenant");
        }

        if (string.IsNullOrEmpty(connection.CreatedClient))
        {
            different.Add("createdClient (Adobe shows none)");
        }

        return different.Count == 0 ? null : $"its {string.Join(", ", different)} differ{(different.Count == 1 ? "s" : "")} from the request's";
    }

    /// <summary>
    /// Whether a connection found while a create of ours may have happened is that create's result: created by this
    /// app's IMS client, with the request's name, URL, service principal and tenant.
    /// </summary>
    public bool IsOurCreate(FlowConnection connection, OnboardingInput request) =>
        IsOurCreate(connection, request.ConnectionName, request.StorageAccountUrl, request.ClientId, request.Tenant);

    /// <summary>As above, for the registration a record holds (an offboarding of a record whose create is pending).</summary>
    public bool IsOurCreate(FlowConnection connection, string connectionName, string storageAccountUrl, string clientId, string tenant) =>
        string.Equals(connection.CreatedClient, OurClient, StringComparison.Ordinal)
        && string.Equals(connection.Name, connectionName, StringComparison.Ordinal)
        && SameSpec(connection)
        && SameUrl(connection, storageAccountUrl)
        && string.Equals(connection.ServicePrincipalId, clientId, StringComparison.OrdinalIgnoreCase)
        && string.Equals(connection.Tenant, tenant, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a connection has the account's name or points at its URL (and so stands in the way of a create).</summary>
    public static bool Clashes(FlowConnection connection, OnboardingInput request) =>
        string.Equals(connection.Name, request.ConnectionName, StringComparison.Ordinal) || SameUrl(connection, request.StorageAccountUrl);

    public static bool SameUrl(FlowConnection connection, string storageAccountUrl) =>
        string.Equals(connection.AuthUrl?.TrimEnd('/'), storageAccountUrl, StringComparison.OrdinalIgnoreCase);

    private bool SameSpec(FlowConnection connection) =>
        string.Equals(connection.ConnectionSpecId, adobeOptions.Value.ConnectionSpecId, StringComparison.OrdinalIgnoreCase);

    public static OnboardingFailureException Conflict(string detail) => new(ConflictCode, detail, isTransient: false);
}
