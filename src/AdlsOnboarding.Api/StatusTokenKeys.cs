using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Api;

/// <summary>The keys that sign and check status URLs: one signs, any of them checks.</summary>
public sealed record StatusTokenKeySet(byte[] SigningKey, IReadOnlyList<byte[]> VerificationKeys);

/// <summary>Where the status-token keys come from: configuration (local runs) or the app's vault (Azure).</summary>
public interface IStatusTokenKeys
{
    /// <summary>The keys in force, or null while they cannot be read yet (the API then answers 503, never starts anything).</summary>
    StatusTokenKeySet? Current { get; }

    /// <summary>Loads the keys and keeps them fresh until <paramref name="cancellationToken"/>; never throws.</summary>
    Task KeepLoadedAsync(CancellationToken cancellationToken);
}

/// <summary>The one key in <c>Api:StatusTokenKey</c> (validated at start-up), for runs without an app vault.</summary>
public sealed class ConfiguredStatusTokenKeys(IOptions<ApiOptions> options) : IStatusTokenKeys
{
    private readonly Lazy<StatusTokenKeySet> _keys = new(() =>
    {
        byte[] key = Convert.FromBase64String(options.Value.StatusTokenKey);
        return new StatusTokenKeySet(key, [key]);
    });

    public StatusTokenKeySet? Current => _keys.Value;

    public Task KeepLoadedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Runs <see cref="IStatusTokenKeys.KeepLoadedAsync"/> for the life of the host, without holding up its start.</summary>
public sealed class StatusTokenKeysLoader(IStatusTokenKeys keys) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => keys.KeepLoadedAsync(stoppingToken);
}
