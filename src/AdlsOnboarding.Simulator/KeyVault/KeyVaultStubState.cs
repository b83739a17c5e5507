namespace AdlsOnboarding.Simulator.KeyVault;

/// <summary>The secrets of a stand-in Key Vault, with their attributes and tags, the calls received and faults to inject.</summary>
public sealed class KeyVaultStubState
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<StubSecretVersion>> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _forbidden = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<(int Status, int? RetryAfterSeconds)> _faults = new();
    private readonly List<(DateTimeOffset At, string Path, int Status, bool HadToken)> _calls = [];

    /// <summary>The bearer token the vault accepts (what the test's static credential hands out).</summary>
    public string AcceptedToken { get; set; } = "kv-test-token";

    public string TenantId { get; set; } = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    /// <summary>Answer every authenticated request 403 ForbiddenByRbac, as while a role assignment is not effective yet.</summary>
    public bool ForbiddenByRbac { get; set; }

    /// <summary>Every request received: path (<c>/secrets/{name}/versions</c> lists, any other path reads a value), status, token.</summary>
    public IReadOnlyList<(DateTimeOffset At, string Path, int Status, bool HadToken)> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToList();
            }
        }
    }

    /// <summary>
    /// Adds a new version of a secret and returns its version id (32 hex characters, as Key Vault's), with the tags
    /// <c>az keyvault secret set --tags</c> would put on it. Key Vault keeps creation times in whole seconds (two
    /// versions set within one second tie); <paramref name="createdOn"/> dates a version.
    /// </summary>
    public string SetSecret(string name, string value, bool enabled = true, DateTimeOffset? expiresOn = null, DateTimeOffset? notBefore = null, DateTimeOffset? createdOn = null, IReadOnlyDictionary<string, string>? tags = null)
    {
        string version = Guid.NewGuid().ToString("N");
        lock (_gate)
        {
            if (!_secrets.TryGetValue(name, out List<StubSecretVersion>? versions))
            {
                _secrets[name] = versions = [];
            }

            versions.Add(new StubSecretVersion(version, value, enabled, expiresOn, notBefore, createdOn ?? DateTimeOffset.UtcNow) { Tags = Copy(tags) });
        }

        SecretSet?.Invoke(name, value);
        return version;
    }

    /// <summary>
    /// Called with each secret value stored (name, value), after it is stored: a suite that also runs Entra's stand-in
    /// registers the value there as the app's client secret, as an operator stores the secret Entra issued.
    /// </summary>
    public Action<string, string>? SecretSet { get; set; }

    /// <summary>Removes a secret with all its versions.</summary>
    public void DeleteSecret(string name)
    {
        lock (_gate)
        {
            _secrets.Remove(name);
        }
    }

    /// <summary>Replaces the tags of one version, as <c>az keyvault secret set-attributes --version … --tags …</c> does.</summary>
    public void SetTags(string name, string version, IReadOnlyDictionary<string, string>? tags)
    {
        lock (_gate)
        {
            List<StubSecretVersion> versions = _secrets[name];
            int at = versions.FindIndex(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));
            versions[at] = versions[at] with { Tags = Copy(tags) };
        }
    }

    /// <summary>Answers every request on this secret 403 ForbiddenByRbac, as a secret-scoped role assignment that leaves the app out.</summary>
    public void Forbid(string name)
    {
        lock (_gate)
        {
            _forbidden.Add(name);
        }
    }

    public bool IsForbidden(string name)
    {
        lock (_gate)
        {
            return ForbiddenByRbac || _forbidden.Contains(name);
        }
    }

    public StubSecretVersion? Get(string name, string? version)
    {
        lock (_gate)
        {
            if (!_secrets.TryGetValue(name, out List<StubSecretVersion>? versions) || versions.Count == 0)
            {
                return null;
            }

            return string.IsNullOrEmpty(version)
                ? versions[^1]
                : versions.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>Every version of a secret in the order Key Vault lists them: by version id, not by age.</summary>
    public IReadOnlyList<StubSecretVersion> Versions(string name)
    {
        lock (_gate)
        {
            return _secrets.TryGetValue(name, out List<StubSecretVersion>? versions)
                ? [.. versions.OrderBy(v => v.Version, StringComparer.Ordinal)]
                : [];
        }
    }

    public void EnqueueFault(int status, int? retryAfterSeconds = null)
    {
        lock (_gate)
        {
            _faults.Enqueue((status, retryAfterSeconds));
        }
    }

    /// <summary>Probability (0-1) that a request meets a random 429 (with Retry-After) or 500/503.</summary>
    public double ChaosRate { get; set; }

    public int InjectedFaults { get; private set; }

    private readonly Random _random = new(4242);

    public (int Status, int? RetryAfterSeconds)? NextFault()
    {
        lock (_gate)
        {
            if (_faults.TryDequeue(out (int, int?) fault))
            {
                return fault;
            }

            if (ChaosRate > 0 && _random.NextDouble() < ChaosRate)
            {
                InjectedFaults++;
                return _random.Next(3) switch
                {
                    0 => (429, 1),
                    1 => (500, null),
                    _ => (503, 1),
                };
            }

            return null;
        }
    }

    public void Record(string path, int status, bool hadToken)
    {
        lock (_gate)
        {
            _calls.Add((DateTimeOffset.UtcNow, path, status, hadToken));
        }
    }

    private static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string>? tags) => tags is null ? [] : new(tags);
}

public sealed record StubSecretVersion(string Version, string Value, bool Enabled, DateTimeOffset? ExpiresOn, DateTimeOffset? NotBefore, DateTimeOffset Created)
{
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}
