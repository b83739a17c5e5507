using System.Security.Cryptography;
using System.Text;
using AdlsOnboarding.Workflow.Secrets;
using Azure.Core;

namespace AdlsOnboarding.Workflow.Preflight;

/// <summary>
/// The access tokens of successful pre-flight sign-ins, so that a bulk run of accounts sharing one service principal
/// and one key signs in at Entra ID once, not once per account. An entry is keyed by everything that decides what a
/// sign-in proves: the authority host, the tenant and the client id as given (ordinal: a tenant given once as a GUID
/// and once as a domain name signs in twice, never wrongly shares), and an HMAC-SHA256 of the key value under a
/// random 32-byte key made once per process (never persisted or logged). The key value itself is never kept: only its
/// MAC, which a reader of this process's memory cannot turn back into the key nor test guesses against without the
/// MAC key. A token is reused while <c>ExpiresOn - </c><see cref="RefreshMargin"/> lies in the future. At most
/// <see cref="Capacity"/> entries: expired ones go first, then the oldest. Failed sign-ins are never stored.
/// Thread-safe.
/// </summary>
internal sealed class SignInCache(TimeProvider time, int capacity = SignInCache.DefaultCapacity)
{
    public const int DefaultCapacity = 1000;

    /// <summary>A token is not reused in its last five minutes (Azure.Identity refreshes its own tokens as early).</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private static readonly byte[] MacKey = RandomNumberGenerator.GetBytes(32);

    private readonly Lock _gate = new();
    private readonly Dictionary<Key, Entry> _entries = [];
    private long _stored;

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    /// <summary>How many entries are held (expired ones included until they are looked up or crowded out).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The entry's key: what the sign-in was made with, the key value only as its MAC.</summary>
    public static Key KeyFor(Uri authorityHost, string tenant, string clientId, SensitiveString secret)
    {
        ArgumentNullException.ThrowIfNull(authorityHost);
        ArgumentNullException.ThrowIfNull(secret);
        byte[] value = Encoding.UTF8.GetBytes(secret.Reveal());
        try
        {
            return new Key(authorityHost.AbsoluteUri, tenant, clientId, Convert.ToHexString(HMACSHA256.HashData(MacKey, value)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(value);
        }
    }

    /// <summary>The token of an earlier successful sign-in with this key, if it is still well within its lifetime.</summary>
    public bool TryGet(Key key, out AccessToken token)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out Entry? entry))
            {
                if (IsFresh(entry.Token))
                {
                    token = entry.Token;
                    return true;
                }

                _entries.Remove(key);
            }
        }

        token = default;
        return false;
    }

    /// <summary>Keeps the token of a successful sign-in (replacing an older one for the same key).</summary>
    public void Store(Key key, AccessToken token)
    {
        if (!IsFresh(token))
        {
            return;
        }

        lock (_gate)
        {
            if (!_entries.ContainsKey(key) && _entries.Count >= Capacity)
            {
                MakeRoom();
            }

            _entries[key] = new Entry(token, ++_stored);
        }
    }

    /// <summary>
    /// Drops the entry if it still holds <paramref name="token"/> (a resource no longer accepts it); an entry that a
    /// concurrent sign-in has meanwhile replaced stays.
    /// </summary>
    public void Evict(Key key, AccessToken token)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out Entry? entry) && string.Equals(entry.Token.Token, token.Token, StringComparison.Ordinal))
            {
                _entries.Remove(key);
            }
        }
    }

    private bool IsFresh(AccessToken token) => token.ExpiresOn - RefreshMargin > time.GetUtcNow();

    /// <summary>Under the lock: every expired entry, or if none, the one stored longest ago.</summary>
    private void MakeRoom()
    {
        List<Key> expired = [.. _entries.Where(e => !IsFresh(e.Value.Token)).Select(e => e.Key)];
        foreach (Key key in expired)
        {
            _entries.Remove(key);
        }

        if (expired.Count == 0)
        {
            _entries.Remove(_entries.MinBy(e => e.Value.Stored).Key);
        }
    }

    internal readonly record struct Key(string AuthorityHost, string Tenant, string ClientId, string KeyMac);

    private sealed record Entry(AccessToken Token, long Stored);
}
