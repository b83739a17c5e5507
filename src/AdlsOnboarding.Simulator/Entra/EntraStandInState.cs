using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace AdlsOnboarding.Simulator.Entra;

/// <summary>
/// Microsoft Entra ID's side, as far as a service principal's sign-in goes: tenants (id and domain names), app
/// registrations with their client secrets, the tokens issued, faults to inject and every token request received.
/// Thread-safe; set up by tests (or the control API) before the product signs in.
/// </summary>
public sealed class EntraStandInState
{
    /// <summary>The resource whose <c>/.default</c> scope Azure Storage tokens are asked for.</summary>
    public const string StorageResource = "https://storage.azure.com";

    private readonly Lock _gate = new();
    private readonly List<StandInTenant> _tenants = [];
    private readonly Queue<EntraFault> _faults = new();
    private readonly List<EntraCall> _calls = [];
    private readonly ConcurrentDictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _revoked = new(StringComparer.Ordinal);

    /// <summary>How long issued tokens live (Entra's default for app tokens is about an hour).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromSeconds(3599);

    /// <summary>How long a <see cref="EntraFaultKind.Hang"/> holds the request before it drops it.</summary>
    public TimeSpan HangDuration { get; set; } = TimeSpan.FromSeconds(30);

    public StandInTenant AddTenant(string tenantId, params string[] domains)
    {
        lock (_gate)
        {
            StandInTenant tenant = new(tenantId, domains);
            _tenants.Add(tenant);
            return tenant;
        }
    }

    /// <summary>The tenant named by its id or one of its domain names (as Entra resolves the authority path).</summary>
    public StandInTenant? FindTenant(string idOrDomain)
    {
        lock (_gate)
        {
            return _tenants.FirstOrDefault(t => t.Matches(idOrDomain));
        }
    }

    public void EnqueueFault(EntraFault fault)
    {
        lock (_gate)
        {
            _faults.Enqueue(fault);
        }
    }

    public EntraFault? NextFault()
    {
        lock (_gate)
        {
            return _faults.TryDequeue(out EntraFault? fault) ? fault : null;
        }
    }

    public IReadOnlyList<EntraCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToList();
            }
        }
    }

    public void Record(EntraCall call)
    {
        lock (_gate)
        {
            _calls.Add(call);
        }
    }

    public string IssueToken(StandInTenant tenant, StandInApp app, string resource)
    {
        string token = "entra-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = new IssuedToken(tenant.Id, app.ClientId, resource, DateTimeOffset.UtcNow + TokenLifetime);
        return token;
    }

    /// <summary>What a bearer token stands for, if this stand-in issued it, has not revoked it and it has not expired.</summary>
    public IssuedToken? Validate(string token) =>
        _tokens.TryGetValue(token, out IssuedToken? issued) && !_revoked.ContainsKey(token) && issued.ExpiresOn > DateTimeOffset.UtcNow ? issued : null;

    /// <summary>
    /// Makes every token issued so far unacceptable to the blob endpoints (401 <c>InvalidAuthenticationInfo</c>), as
    /// when a resource stops accepting a token before it expires; tokens issued later are accepted.
    /// </summary>
    public void RevokeIssuedTokens()
    {
        foreach (string token in _tokens.Keys)
        {
            _revoked[token] = true;
        }
    }

    /// <summary>Every access token issued so far (tests search outputs and logs for them).</summary>
    public IReadOnlyCollection<string> IssuedTokens => _tokens.Keys.ToList();
}

/// <summary>A directory: its id (a GUID) and verified domain names, with the app registrations it holds.</summary>
public sealed class StandInTenant(string id, IEnumerable<string> domains)
{
    private readonly Lock _gate = new();
    private readonly List<StandInApp> _apps = [];

    public string Id { get; } = id;

    public IReadOnlyList<string> Domains { get; } = domains.ToList();

    public bool Matches(string idOrDomain) =>
        string.Equals(Id, idOrDomain, StringComparison.OrdinalIgnoreCase) || Domains.Contains(idOrDomain, StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers an application (with its service principal) in this tenant.</summary>
    public StandInApp AddApp(string clientId, string displayName = "adls-onboarding-test")
    {
        lock (_gate)
        {
            StandInApp app = new(clientId, displayName);
            _apps.Add(app);
            return app;
        }
    }

    public StandInApp? FindApp(string clientId)
    {
        lock (_gate)
        {
            return _apps.FirstOrDefault(a => string.Equals(a.ClientId, clientId, StringComparison.OrdinalIgnoreCase));
        }
    }
}

/// <summary>An app registration: its client secrets, whether it is disabled, and whether Conditional Access blocks it.</summary>
public sealed class StandInApp(string clientId, string displayName)
{
    private readonly Lock _gate = new();
    private readonly List<StandInSecret> _secrets = [];

    public string ClientId { get; } = clientId;

    public string DisplayName { get; } = displayName;

    /// <summary>The service principal is disabled ("Enabled for users to sign-in" off): AADSTS7000112.</summary>
    public bool Disabled { get; set; }

    /// <summary>A Conditional Access policy for workload identities refuses this principal: AADSTS53003.</summary>
    public bool BlockedByConditionalAccess { get; set; }

    /// <summary>
    /// Adds a client secret. <paramref name="activeFrom"/> models Entra's propagation: before it, the secret is
    /// refused as invalid (AADSTS7000215) although it is correct.
    /// </summary>
    public StandInApp AddSecret(string value, DateTimeOffset? expiresOn = null, DateTimeOffset? activeFrom = null)
    {
        lock (_gate)
        {
            _secrets.Add(new StandInSecret(value, expiresOn, activeFrom));
        }

        return this;
    }

    /// <summary>Removes every client secret of the app (as deleting them in the portal does).</summary>
    public void ClearSecrets()
    {
        lock (_gate)
        {
            _secrets.Clear();
        }
    }

    /// <summary>The secret with this value, if the app has one.</summary>
    public StandInSecret? FindSecret(string value)
    {
        lock (_gate)
        {
            return _secrets.FirstOrDefault(s => CryptographicOperations.FixedTimeEquals(
                Encoding.UTF8.GetBytes(s.Value), Encoding.UTF8.GetBytes(value)));
        }
    }
}

public sealed record StandInSecret(string Value, DateTimeOffset? ExpiresOn, DateTimeOffset? ActiveFrom);

/// <summary>An access token this stand-in issued: for whom, in which tenant, for which resource, until when.</summary>
public sealed record IssuedToken(string TenantId, string ClientId, string Resource, DateTimeOffset ExpiresOn);

/// <summary>One token request: never the secret, only the names of the form fields sent.</summary>
public sealed record EntraCall(DateTimeOffset ReceivedAt, string Method, string Path, IReadOnlyList<string> FormFields, int Status, string? ErrorCode);

public enum EntraFaultKind
{
    /// <summary>Answer <see cref="EntraFault.Status"/> with an Entra error body (and <c>Retry-After</c> if set).</summary>
    Status,

    /// <summary>Drop the connection without an answer.</summary>
    Reset,

    /// <summary>Hold the request (the client times out), then drop it.</summary>
    Hang,
}

/// <summary>
/// One injected answer of the token endpoint. With <see cref="AadstsCode"/>, the body carries that AADSTS error
/// (any code: "another AADSTS error"); without it, a 429/5xx carries Entra's throttling or outage text.
/// </summary>
public sealed record EntraFault(EntraFaultKind Kind, int Status = 503, int? AadstsCode = null, string? Error = null, string? Description = null, int? RetryAfterSeconds = null)
{
    public static EntraFault Throttle(int retryAfterSeconds) => new(EntraFaultKind.Status, 429, RetryAfterSeconds: retryAfterSeconds);

    public static EntraFault Unavailable(int status = 503, int? retryAfterSeconds = null) => new(EntraFaultKind.Status, status, RetryAfterSeconds: retryAfterSeconds);

    public static EntraFault Aadsts(int code, string error, string description, int status = 400) => new(EntraFaultKind.Status, status, code, error, description);
}
