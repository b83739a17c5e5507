using AdlsOnboarding.Workflow.Secrets;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>The four auth params of an ADLS Gen2 base connection; Adobe requires all four on create and on update.</summary>
public sealed record AdlsGen2AuthParams(string Url, string ServicePrincipalId, SensitiveString ServicePrincipalKey, string Tenant);

/// <summary>What <c>POST /connections</c> needs for an ADLS Gen2 base connection.</summary>
public sealed record AdlsGen2ConnectionSpec(string Name, string Description, AdlsGen2AuthParams Auth);

/// <summary>Ids Adobe returns from a create or an update. The etag contains its own double quotes.</summary>
public sealed record ConnectionIds(string Id, string Etag);

/// <summary>
/// A base connection as <c>GET /connections</c> shows it (credentials are never read back). <see cref="CreatedClient"/>
/// is the IMS client that created it (for an OAuth server-to-server credential its client id, the API key; <c>exc_app</c>
/// for the Experience Platform UI); <see cref="UpdatedClient"/> the client of its last update.
/// </summary>
public sealed record FlowConnection(
    string Id,
    string? Name,
    string? Etag,
    string? ConnectionSpecId,
    string? AuthUrl,
    string? ServicePrincipalId,
    string? Tenant,
    long? CreatedAt,
    string? State,
    string? CreatedClient = null,
    string? UpdatedClient = null);
