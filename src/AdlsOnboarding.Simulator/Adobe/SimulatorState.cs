using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace AdlsOnboarding.Simulator.Adobe;

/// <summary>
/// Adobe's side of the world: the connections that exist, the tokens issued, the calls received and the faults
/// to inject next. Thread-safe; inspected by tests and by the simulator's control API.
/// </summary>
public sealed class SimulatorState
{
    private readonly Lock _gate = new();
    private readonly List<SimulatedConnection> _connections = [];
    private readonly List<RecordedCall> _calls = [];
    private readonly Dictionary<SimulatedOperation, Queue<SimulatedFault>> _faults = [];
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _tokenClients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _testResults = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _exploreRefusals = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string[]> _exploreFolders = new(StringComparer.OrdinalIgnoreCase);

    public SimulatorState(SimulatorSettings settings) => Settings = settings;

    public SimulatorSettings Settings { get; }

    /// <summary>Probability (0-1) that a create is answered by a random ambiguous fault after it committed.</summary>
    public double CreateFaultRate { get; set; }

    /// <summary>
    /// Probability (0-1) that any call (IMS included) meets a random fault: 429 with Retry-After, 500/503/504, a reset,
    /// no answer, a create that commits and then fails, or every token expiring. For the reliability suites.
    /// </summary>
    public double ChaosRate { get; set; }

    /// <summary>Faults injected so far, by kind (chaos and create faults), for the suites' figures.</summary>
    public IReadOnlyDictionary<string, int> InjectedFaults
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_injected);
            }
        }
    }

    private readonly Dictionary<string, int> _injected = [];

    private void Count(string kind) => _injected[kind] = _injected.GetValueOrDefault(kind) + 1;

    /// <summary>Latency added to every Flow Service call.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Flow Service calls allowed per second (0 = unlimited); above it the gateway answers 429 + Retry-After.</summary>
    public int RateLimitPerSecond { get; set; }

    private readonly Queue<DateTimeOffset> _recentCalls = new();
    private int _inFlight;

    /// <summary>The most Flow Service calls that were being served at the same time.</summary>
    public int PeakConcurrentCalls { get; private set; }

    /// <summary>Counts a call against the rate limit; false when it is over the limit (answer 429).</summary>
    public bool TryAdmit(DateTimeOffset now, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (RateLimitPerSecond <= 0)
        {
            return true;
        }

        lock (_gate)
        {
            while (_recentCalls.Count > 0 && now - _recentCalls.Peek() >= TimeSpan.FromSeconds(1))
            {
                _recentCalls.Dequeue();
            }

            if (_recentCalls.Count >= RateLimitPerSecond)
            {
                retryAfter = TimeSpan.FromSeconds(1);
                return false;
            }

            _recentCalls.Enqueue(now);
            return true;
        }
    }

    /// <summary>Flow Service calls Adobe serves at once (0 = no cap); a call beyond it is answered 429 + Retry-After.</summary>
    public int ConcurrencyCap { get; set; }

    /// <summary>Enters a call; null when the concurrency cap is reached (the caller answers 429).</summary>
    public IDisposable? EnterCall()
    {
        lock (_gate)
        {
            if (ConcurrencyCap > 0 && _inFlight >= ConcurrencyCap)
            {
                return null;
            }

            _inFlight++;
            PeakConcurrentCalls = Math.Max(PeakConcurrentCalls, _inFlight);
        }

        return new CallScope(this);
    }

    private sealed class CallScope(SimulatorState state) : IDisposable
    {
        public void Dispose()
        {
            lock (state._gate)
            {
                state._inFlight--;
            }
        }
    }

    public Random Random { get; set; } = new(12345);

    public IReadOnlyList<SimulatedConnection> Connections
    {
        get
        {
            lock (_gate)
            {
                return _connections.ToList();
            }
        }
    }

    public IReadOnlyList<RecordedCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToList();
            }
        }
    }

    public void EnqueueFault(SimulatedOperation operation, SimulatedFault fault)
    {
        lock (_gate)
        {
            if (!_faults.TryGetValue(operation, out Queue<SimulatedFault>? queue))
            {
                _faults[operation] = queue = new Queue<SimulatedFault>();
            }

            queue.Enqueue(fault);
        }
    }

    public SimulatedFault? NextFault(SimulatedOperation operation)
    {
        lock (_gate)
        {
            if (_faults.TryGetValue(operation, out Queue<SimulatedFault>? queue) && queue.TryDequeue(out SimulatedFault? fault))
            {
                return fault;
            }

            if (operation == SimulatedOperation.Create && CreateFaultRate > 0 && Random.NextDouble() < CreateFaultRate)
            {
                SimulatedFault createFault = Random.Next(3) switch
                {
                    0 => new SimulatedFault(FaultKind.CommitThenStatus, 500),
                    1 => new SimulatedFault(FaultKind.CommitThenReset),
                    _ => new SimulatedFault(FaultKind.CommitThenHang, Delay: Settings.HangDuration),
                };
                Count($"create {createFault.Kind}");
                return createFault;
            }

            if (ChaosRate > 0 && Random.NextDouble() < ChaosRate)
            {
                return Chaos(operation);
            }

            return null;
        }
    }

    private SimulatedFault? Chaos(SimulatedOperation operation)
    {
        int pick = Random.Next(operation == SimulatedOperation.Create ? 9 : 7);
        (string name, SimulatedFault? fault) = pick switch
        {
            0 => ("429 Retry-After", SimulatedFault.Throttle(1 + Random.Next(2))),
            1 => ("500", new SimulatedFault(FaultKind.Status, 500)),
            2 => ("503 Retry-After", SimulatedFault.Unavailable(1)),
            3 => ("504", new SimulatedFault(FaultKind.Status, 504)),
            4 => ("connection reset", new SimulatedFault(FaultKind.Reset)),
            5 => ("no answer (timeout)", new SimulatedFault(FaultKind.CommitThenHang, Delay: Settings.HangDuration)),
            6 => ("tokens expired", null),
            7 => ("create committed, then 500", new SimulatedFault(FaultKind.CommitThenStatus, 500)),
            _ => ("create committed, then reset", new SimulatedFault(FaultKind.CommitThenReset)),
        };
        if (operation == SimulatedOperation.Token && pick is 5 or 6)
        {
            (name, fault) = ("IMS 503", SimulatedFault.Unavailable(1));
        }

        if (fault is null)
        {
            // Tokens reach their expiry: the caller sees 401013 and must renew. A token just issued is not expired
            // again at once (a real one lives 24 h), so one renewal always suffices, as the product assumes.
            DateTimeOffset issuedBefore = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(5);
            foreach ((string token, DateTimeOffset expires) in _tokens)
            {
                if (expires - Settings.TokenLifetime < issuedBefore)
                {
                    _tokens[token] = DateTimeOffset.MinValue;
                }
            }
        }

        Count(operation == SimulatedOperation.Token && !name.StartsWith("IMS", StringComparison.Ordinal) ? "IMS " + name : name);
        return fault;
    }

    public void Record(RecordedCall call)
    {
        lock (_gate)
        {
            _calls.Add(call);
        }
    }

    /// <summary>Issues an access token to an IMS client (default: the configured one).</summary>
    public string IssueToken(TimeSpan lifetime, string? clientId = null)
    {
        string token = "sim-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _tokenClients[token] = clientId ?? Settings.ClientId;
        _tokens[token] = DateTimeOffset.UtcNow + lifetime;
        return token;
    }

    /// <summary>
    /// The IMS client a token was issued to: what Adobe records as <c>createdClient</c>/<c>updatedClient</c> of what the
    /// token writes (an OAuth server-to-server token is a service token: <c>createdBy</c> is the same value).
    /// </summary>
    public string ClientOf(string token) => _tokenClients.GetValueOrDefault(token, Settings.ClientId);

    /// <summary>Every access token issued so far (tests search outputs and logs for them).</summary>
    public IReadOnlyCollection<string> IssuedTokens => _tokens.Keys.ToList();

    public bool IsTokenValid(string token) => !RejectAllTokens && _tokens.TryGetValue(token, out DateTimeOffset expires) && expires > DateTimeOffset.UtcNow;

    /// <summary>When set, the gateway answers 401 to every token, even fresh ones (a revoked integration).</summary>
    public bool RejectAllTokens { get; set; }

    /// <summary>Makes every issued token invalid, as an expiry or a revocation would.</summary>
    public void ExpireAllTokens()
    {
        foreach (string token in _tokens.Keys)
        {
            _tokens[token] = DateTimeOffset.MinValue;
        }
    }

    /// <summary>Sets what <c>/test</c> answers for an account URL (default: true).</summary>
    public void SetTestResult(string accountUrl, bool result) => _testResults[accountUrl.TrimEnd('/')] = result;

    public bool TestResultFor(string accountUrl) => _testResults.GetValueOrDefault(accountUrl.TrimEnd('/'), true);

    /// <summary>
    /// Makes <c>/explore</c> fail for an account URL as Adobe does when the account refuses it: the storage error code
    /// Microsoft's connector reports, e.g. <c>AuthorizationFailure</c> (firewall) or <c>AuthorizationPermissionMismatch</c>
    /// (role). Null lets Adobe list it again.
    /// </summary>
    public void SetExploreRefusal(string accountUrl, string? storageErrorCode)
    {
        if (storageErrorCode is null)
        {
            _exploreRefusals.TryRemove(accountUrl.TrimEnd('/'), out _);
        }
        else
        {
            _exploreRefusals[accountUrl.TrimEnd('/')] = storageErrorCode;
        }
    }

    public string? ExploreRefusalFor(string accountUrl) => _exploreRefusals.GetValueOrDefault(accountUrl.TrimEnd('/'));

    /// <summary>The containers <c>/explore?objectType=root</c> lists for an account URL (default: none).</summary>
    public void SetExploreFolders(string accountUrl, params string[] containers) => _exploreFolders[accountUrl.TrimEnd('/')] = containers;

    public IReadOnlyList<string> ExploreFoldersFor(string accountUrl) => _exploreFolders.GetValueOrDefault(accountUrl.TrimEnd('/'), []);

    public SimulatedConnection Add(SimulatedConnection connection)
    {
        lock (_gate)
        {
            _connections.Add(connection);
            return connection;
        }
    }

    public SimulatedConnection? Find(string sandbox, string id)
    {
        lock (_gate)
        {
            return _connections.FirstOrDefault(c => c.Sandbox == sandbox && c.Id == id && !c.Deleted);
        }
    }

    /// <summary>The storage account URL of a connection, deleted or not (null: no such id).</summary>
    public string? AccountUrlOf(string id)
    {
        lock (_gate)
        {
            return _connections.FirstOrDefault(c => c.Id == id)?.Auth.Url;
        }
    }

    public List<SimulatedConnection> InSandbox(string sandbox)
    {
        lock (_gate)
        {
            return _connections.Where(c => c.Sandbox == sandbox && !c.Deleted).OrderBy(c => c.CreatedAt).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>
    /// Replaces the auth params and/or the name if <paramref name="ifMatch"/> is the current etag, as
    /// <paramref name="client"/>; null when the etag is stale.
    /// </summary>
    public string? TryUpdate(SimulatedConnection connection, string ifMatch, SimulatedAuthParams? auth, string? name, string client)
    {
        lock (_gate)
        {
            if (connection.Etag != ifMatch)
            {
                return null;
            }

            connection.Auth = auth ?? connection.Auth;
            connection.Name = name ?? connection.Name;
            connection.Etag = NewEtag();
            connection.UpdatedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            connection.UpdatedClient = client;
            connection.UpdateCount++;
            return connection.Etag;
        }
    }

    /// <summary>
    /// An edit by someone else (another IMS client, e.g. <c>exc_app</c>, the Experience Platform UI): the change is
    /// applied and the connection gets a new etag and <c>updatedClient</c>, as Adobe would record it.
    /// </summary>
    public void EditOutOfBand(SimulatedConnection connection, Action<SimulatedConnection> edit, string client = SimulatedConnection.UiClient)
    {
        lock (_gate)
        {
            edit(connection);
            connection.Etag = NewEtag();
            connection.UpdatedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            connection.UpdatedClient = client;
        }
    }

    /// <summary>Runs once, just before the next PATCH is carried out (after its etag was read): an edit racing it.</summary>
    public Action? BeforeNextUpdate
    {
        get => _beforeNextUpdate;
        set => _beforeNextUpdate = value;
    }

    internal void RunBeforeUpdate() => Interlocked.Exchange(ref _beforeNextUpdate, null)?.Invoke();

    private Action? _beforeNextUpdate;

    /// <summary>Changes the etag as another client's update would (for stale-etag tests).</summary>
    public void Touch(SimulatedConnection connection)
    {
        lock (_gate)
        {
            connection.Etag = NewEtag();
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _connections.Clear();
            _calls.Clear();
            _beforeNextUpdate = null;
            _faults.Clear();
            _testResults.Clear();
            _exploreRefusals.Clear();
            _exploreFolders.Clear();
            CreateFaultRate = 0;
            ChaosRate = 0;
            _injected.Clear();
            Latency = TimeSpan.Zero;
            RateLimitPerSecond = 0;
            PeakConcurrentCalls = 0;
            _recentCalls.Clear();
        }
    }

    public static string NewEtag() => $"\"{Guid.NewGuid():D}\"";
}

/// <summary>A base connection as the simulator stores it, key included (tests check what Adobe received).</summary>
public sealed class SimulatedConnection
{
    public required string Id { get; init; }

    public required string Sandbox { get; init; }

    /// <summary>What Adobe shows as <c>createdClient</c> for a connection made in the Experience Platform UI.</summary>
    public const string UiClient = "exc_app";

    public required string Name { get; set; }

    public string? Description { get; init; }

    public required string ConnectionSpecId { get; init; }

    public required string ConnectionSpecVersion { get; init; }

    public required string SpecName { get; init; }

    public required SimulatedAuthParams Auth { get; set; }

    public required string Etag { get; set; }

    public long CreatedAt { get; init; }

    /// <summary>
    /// The IMS client that created the connection (<c>createdClient</c>): the client id of the token that posted it, or
    /// <c>exc_app</c> for the UI (the default for a connection a test adds directly).
    /// </summary>
    public string CreatedClient { get; init; } = UiClient;

    /// <summary><c>createdBy</c>: for a service token the same as <see cref="CreatedClient"/>; for the UI a user's id.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>The IMS client of the last update (<c>updatedClient</c>); null: never updated.</summary>
    public string? UpdatedClient { get; set; }

    public long UpdatedAt { get; set; }

    public int UpdateCount { get; set; }

    /// <summary>Dataflows use this connection: Adobe refuses to delete it (1418-400).</summary>
    public bool InUseByDataflows { get; set; }

    public bool Deleted { get; set; }
}

public sealed record SimulatedAuthParams(string Url, string ServicePrincipalId, string ServicePrincipalKey, string Tenant);

/// <summary>One request the simulator received, with the time it arrived and the status it answered.</summary>
public sealed record RecordedCall(DateTimeOffset ReceivedAt, SimulatedOperation Operation, string Method, string Path, string? Sandbox, int Status, string? Authorization)
{
    /// <summary>The Retry-After the answer carried, in seconds.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>When the simulator began to write its answer (the caller cannot have read it earlier); null: none was sent.</summary>
    public DateTimeOffset? AnsweredAt { get; init; }

    /// <summary>
    /// The storage account URL the call concerns (a create's or update's auth params, else the connection its path
    /// names); null for a list, which concerns the whole sandbox.
    /// </summary>
    public string? AccountUrl { get; init; }
}
