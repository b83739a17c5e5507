using System.Net.Sockets;
using Azure.Data.Tables;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>
/// The Azurite instance the tests use: started by <c>scripts/test.sh</c> (or by hand) on the default loopback
/// ports, or wherever <c>AZURITE_CONNECTION_STRING</c> points.
/// </summary>
public static class Azurite
{
    public const string DevelopmentConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("AZURITE_CONNECTION_STRING") is { Length: > 0 } configured ? configured : DevelopmentConnectionString;

    private static readonly Lazy<Task> Reachable = new(CheckAsync);

    /// <summary>Fails with a clear message when Azurite is not running.</summary>
    public static Task EnsureRunningAsync() => Reachable.Value;

    /// <summary>A table name no other test class uses.</summary>
    public static string UniqueTableName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 32, 63)];

    public static TableClient Table(string name) => new(ConnectionString, name);

    private static async Task CheckAsync()
    {
        Uri table = new TableServiceClient(ConnectionString).Uri;
        try
        {
            await Eventually.UntilAsync(
                async () =>
                {
                    using TcpClient probe = new();
                    await probe.ConnectAsync(table.Host, table.Port);
                    return true;
                },
                () => "",
                $"Azurite at {table.Host}:{table.Port}",
                TimeSpan.FromSeconds(30),
                TimeSpan.FromSeconds(1));
        }
        catch (TimeoutException ex)
        {
            throw new InvalidOperationException(
                $"Azurite is not reachable at {table.Host}:{table.Port}. Run the tests with scripts/test.sh, which starts it, or start it yourself (scripts/azurite.sh start; see docs/local.md).", ex);
        }
    }
}
