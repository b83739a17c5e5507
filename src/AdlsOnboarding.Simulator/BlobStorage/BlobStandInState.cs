namespace AdlsOnboarding.Simulator.BlobStorage;

/// <summary>
/// The storage accounts a blob endpoint stand-in serves: each with its tenant, its containers, the principals that
/// hold a blob data role on it, and whether its network rules refuse the caller. Thread-safe.
/// </summary>
public sealed class BlobStandInState
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StandInAccount> _accounts = new(StringComparer.Ordinal);
    private readonly Queue<BlobFault> _faults = new();
    private readonly List<BlobCall> _calls = [];
    private (string TenantId, string[] Readers)? _anyAccount;

    /// <summary>How long a <see cref="BlobFaultKind.Hang"/> holds the request before it drops it.</summary>
    public TimeSpan HangDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Adds an account (names as Azure's: 3-24 lowercase letters and digits) owned by <paramref name="tenantId"/>.</summary>
    public StandInAccount AddAccount(string name, string tenantId)
    {
        lock (_gate)
        {
            StandInAccount account = new(name, tenantId);
            _accounts[name] = account;
            return account;
        }
    }

    public StandInAccount? FindAccount(string name)
    {
        lock (_gate)
        {
            if (!_accounts.TryGetValue(name, out StandInAccount? account) && _anyAccount is { } template)
            {
                // Served on demand: an account of the template's tenant on which the template's principals may read.
                account = new StandInAccount(name, template.TenantId);
                foreach (string reader in template.Readers)
                {
                    account.GrantBlobDataReader(reader);
                }

                _accounts[name] = account;
            }

            return account;
        }
    }

    /// <summary>
    /// Serves every account name not added explicitly as an account of <paramref name="tenantId"/> on which
    /// <paramref name="readers"/> hold a blob data role (workflow suites and the benchmark onboard many accounts);
    /// an account added with <see cref="AddAccount"/> keeps its own settings.
    /// </summary>
    public void ServeAnyAccount(string tenantId, params string[] readers)
    {
        lock (_gate)
        {
            _anyAccount = (tenantId, readers);
        }
    }

    public void EnqueueFault(BlobFault fault)
    {
        lock (_gate)
        {
            _faults.Enqueue(fault);
        }
    }

    public BlobFault? NextFault()
    {
        lock (_gate)
        {
            return _faults.TryDequeue(out BlobFault? fault) ? fault : null;
        }
    }

    public IReadOnlyList<BlobCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToList();
            }
        }
    }

    public void Record(BlobCall call)
    {
        lock (_gate)
        {
            _calls.Add(call);
        }
    }
}

/// <summary>One storage account.</summary>
public sealed class StandInAccount(string name, string tenantId)
{
    private readonly Lock _gate = new();
    private readonly List<string> _containers = [];
    private readonly HashSet<string> _readers = new(StringComparer.OrdinalIgnoreCase);

    public string Name { get; } = name;

    /// <summary>The tenant whose tokens the account accepts (its subscription's directory).</summary>
    public string TenantId { get; } = tenantId;

    /// <summary>
    /// The account's firewall does not admit the caller (public network access limited to selected networks, e.g.
    /// Adobe's IP ranges only): every request is answered 403 <c>AuthorizationFailure</c>.
    /// </summary>
    public bool NetworkRulesDenyCaller { get; set; }

    public IReadOnlyList<string> Containers
    {
        get
        {
            lock (_gate)
            {
                return _containers.Order(StringComparer.Ordinal).ToList();
            }
        }
    }

    public StandInAccount AddContainers(params string[] names)
    {
        lock (_gate)
        {
            _containers.AddRange(names);
        }

        return this;
    }

    /// <summary>
    /// Assigns the principal a role that carries <c>Microsoft.Storage/storageAccounts/blobServices/containers/read</c>
    /// on the account (Storage Blob Data Reader, Contributor or Owner).
    /// </summary>
    public StandInAccount GrantBlobDataReader(string clientId)
    {
        lock (_gate)
        {
            _readers.Add(clientId);
        }

        return this;
    }

    public bool CanRead(string clientId)
    {
        lock (_gate)
        {
            return _readers.Contains(clientId);
        }
    }
}

/// <summary>One request to the blob endpoint: account, query string and <c>x-ms-version</c>; never the token.</summary>
public sealed record BlobCall(DateTimeOffset ReceivedAt, string Method, string Account, string Query, string? Version, bool HadToken, int Status, string? ErrorCode);

public enum BlobFaultKind
{
    /// <summary>Answer <see cref="BlobFault.Status"/> with a storage error body (and <c>Retry-After</c> if set).</summary>
    Status,

    /// <summary>Drop the connection without an answer.</summary>
    Reset,

    /// <summary>Hold the request (the client times out), then drop it.</summary>
    Hang,
}

/// <summary>One injected answer of the blob endpoint, e.g. 503 <c>ServerBusy</c>, 500 <c>InternalError</c>, 429.</summary>
public sealed record BlobFault(BlobFaultKind Kind, int Status = 503, string? Code = null, int? RetryAfterSeconds = null)
{
    public static BlobFault ServerBusy(int? retryAfterSeconds = null) => new(BlobFaultKind.Status, 503, "ServerBusy", retryAfterSeconds);
}
