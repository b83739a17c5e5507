using System.Security.Cryptography;
using System.Text;
using AdlsOnboarding.Workflow.Preflight;
using AdlsOnboarding.Workflow.Secrets;
using Azure.Core;
using Microsoft.Extensions.Time.Testing;

namespace AdlsOnboarding.Tests.Preflight;

/// <summary>The bound, the eviction order, the keyed hash and the thread safety of the pre-flight's sign-in cache.</summary>
public sealed class SignInCacheTests
{
    private static readonly Uri Authority = new("https://login.microsoftonline.com/");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    private static SignInCache.Key KeyOf(string client, string secret = "the-secret") =>
        SignInCache.KeyFor(Authority, "contoso.onmicrosoft.com", client, new SensitiveString(secret));

    private AccessToken TokenFor(TimeSpan lifetime) => new("token-" + Guid.NewGuid().ToString("N"), _time.GetUtcNow() + lifetime);

    [Fact]
    public void KeyFor_HoldsAKeyedHashOfTheKeyValueNeverTheValueOrItsPlainHash()
    {
        const string secret = "spk~a-client-secret-value";

        SignInCache.Key key = KeyOf("app", secret);

        Assert.Equal(key, KeyOf("app", secret));
        Assert.NotEqual(key, KeyOf("app", secret + "x"));
        Assert.DoesNotContain(secret, key.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), key.KeyMac);
        Assert.Equal(64, key.KeyMac.Length);
    }

    [Fact]
    public void Store_Full_DropsTheOldestEntry()
    {
        SignInCache cache = new(_time, capacity: 2);
        cache.Store(KeyOf("a"), TokenFor(TimeSpan.FromHours(1)));
        cache.Store(KeyOf("b"), TokenFor(TimeSpan.FromHours(1)));

        cache.Store(KeyOf("c"), TokenFor(TimeSpan.FromHours(1)));

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet(KeyOf("a"), out _));
        Assert.True(cache.TryGet(KeyOf("b"), out _));
        Assert.True(cache.TryGet(KeyOf("c"), out _));
    }

    [Fact]
    public void Store_Full_DropsExpiredEntriesBeforeTheOldest()
    {
        SignInCache cache = new(_time, capacity: 2);
        cache.Store(KeyOf("old-but-fresh"), TokenFor(TimeSpan.FromHours(1)));
        cache.Store(KeyOf("newer-but-expiring"), TokenFor(TimeSpan.FromMinutes(10)));
        _time.Advance(TimeSpan.FromMinutes(6));

        cache.Store(KeyOf("new"), TokenFor(TimeSpan.FromHours(1)));

        Assert.True(cache.TryGet(KeyOf("old-but-fresh"), out _));
        Assert.True(cache.TryGet(KeyOf("new"), out _));
        Assert.False(cache.TryGet(KeyOf("newer-but-expiring"), out _));
    }

    [Fact]
    public void TryGet_TokenInItsLastFiveMinutes_MissAndDropped()
    {
        SignInCache cache = new(_time);
        AccessToken token = TokenFor(TimeSpan.FromMinutes(30));
        cache.Store(KeyOf("a"), token);

        _time.Advance(TimeSpan.FromMinutes(24));
        Assert.True(cache.TryGet(KeyOf("a"), out AccessToken reused));
        Assert.Equal(token.Token, reused.Token);
        _time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));

        Assert.False(cache.TryGet(KeyOf("a"), out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Evict_OnlyTheTokenThatWasRefused()
    {
        SignInCache cache = new(_time);
        AccessToken refused = TokenFor(TimeSpan.FromHours(1));
        AccessToken replacement = TokenFor(TimeSpan.FromHours(1));
        cache.Store(KeyOf("a"), refused);
        cache.Store(KeyOf("a"), replacement);

        // A concurrent check already replaced the refused token: its eviction leaves the new one.
        cache.Evict(KeyOf("a"), refused);
        Assert.True(cache.TryGet(KeyOf("a"), out AccessToken kept));
        Assert.Equal(replacement.Token, kept.Token);

        cache.Evict(KeyOf("a"), replacement);
        Assert.False(cache.TryGet(KeyOf("a"), out _));
    }

    [Fact]
    public void StoreAndTryGet_Concurrently_StaysWithinItsBound()
    {
        SignInCache cache = new(_time, capacity: 50);
        SignInCache.Key[] keys = [.. Enumerable.Range(0, 2_000).Select(i => KeyOf("app-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)))];
        AccessToken token = TokenFor(TimeSpan.FromHours(1));

        Parallel.For(0, 400_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            SignInCache.Key key = keys[(int)((long)i * 7919 % keys.Length)];
            cache.Store(key, token);
            if (i % 5 == 0)
            {
                cache.TryGet(key, out _);
            }

            if (i % 11 == 0)
            {
                cache.Evict(key, token);
            }
        });

        Assert.InRange(cache.Count, 0, 50);
        cache.Store(keys[0], token);
        Assert.True(cache.TryGet(keys[0], out _));
    }
}
