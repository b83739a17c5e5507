using System.Net;
using System.Net.Sockets;

namespace AdlsOnboarding.Benchmark;

/// <summary>Storage requests counted by the proxy, by what they were for.</summary>
internal sealed record RequestCounts(long EngineBlob, long EngineQueue, long EngineTable, long AccountTable)
{
    public long Engine => EngineBlob + EngineQueue + EngineTable;

    public long Total => Engine + AccountTable;

    public static RequestCounts operator -(RequestCounts a, RequestCounts b) =>
        new(a.EngineBlob - b.EngineBlob, a.EngineQueue - b.EngineQueue, a.EngineTable - b.EngineTable, a.AccountTable - b.AccountTable);
}

/// <summary>
/// A counting proxy in front of Azurite (blob, queue and table ports): every storage request a host makes passes
/// through it and is counted. A table request naming <see cref="AccountTable"/> counts as the account table; everything
/// else (task hub tables, queues, lease blobs) as the durable engine. It relays each connection's bytes unchanged to
/// the same port kind on the phase's Azurite (shared-key signatures do not cover the host or port) and finds the requests in
/// them with <see cref="Http1RequestFramer"/>: no HTTP stack of its own. An HTTP proxy (Kestrel in, HttpClient out)
/// cost about 0.4 ms of CPU per request, on the same two cores as what it measured; this one a small fraction of that.
/// </summary>
internal sealed class CountingProxy : IAsyncDisposable
{
    private readonly TcpListener[] _listeners;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _accepting = [];

    private long _blob;
    private long _queue;
    private long _table;
    private long _account;

    // Bytes relayed per service (blob, queue, table): sent to Azurite (request lines, headers, bodies) and received back.
    private readonly long[] _bytesSent = new long[3];
    private readonly long[] _bytesReceived = new long[3];

    private CountingProxy(TcpListener[] listeners) => _listeners = listeners;

    /// <summary>The account-records table whose requests count apart (null: all count as engine).</summary>
    public string? AccountTable { get; set; }

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    /// <summary>
    /// <c>--direct</c>: hand out Azurite's own endpoints, so nothing goes through the proxy and nothing is counted (for
    /// wall times without the proxy's loopback hop; the request counts come from a run without it).
    /// </summary>
    public bool Direct { get; set; }

    /// <summary>The Azurite requests go to: each phase sets its own fresh one.</summary>
    public AzuriteProcess? Upstream { get; set; }

    private AzuriteProcess Azurite => Upstream ?? throw new InvalidOperationException("No Azurite for this phase.");

    /// <summary>An Azurite connection string that goes through the proxy (Azurite's own with <see cref="Direct"/>).</summary>
    public string ConnectionString => Direct ? Azurite.ConnectionString : AzuriteProcess.ConnectionStringFor(BlobPort, QueuePort, TablePort);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _kinds = new();

    /// <summary>Requests by kind (method, service, what the path names), for <c>--breakdown</c>.</summary>
    public IReadOnlyDictionary<string, long> Kinds() => new Dictionary<string, long>(_kinds);

    /// <summary>Prints the requests by kind made since <paramref name="before"/>, each divided by <paramref name="per"/>.</summary>
    public void PrintKindsSince(IReadOnlyDictionary<string, long> before, double per)
    {
        foreach ((string kind, long count) in Kinds().OrderBy(k => k.Key))
        {
            long delta = count - before.GetValueOrDefault(kind);
            if (delta > 0)
            {
                Console.WriteLine($"  {kind,-50} {delta / per,8:F2} per onboarding");
            }
        }
    }

    private string KindOf(string service, string method, string path, string query)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string resource = parts.Length > 1 ? parts[1] : "";
        if (service == "table")
        {
            string table = resource.Split('(')[0];
            string suffix = table == AccountTable ? "account"
                : table.EndsWith("Instances", StringComparison.Ordinal) ? "Instances"
                : table.EndsWith("History", StringComparison.Ordinal) ? "History"
                : table.EndsWith("Partitions", StringComparison.Ordinal) ? "Partitions" : table;
            return $"table {method} {suffix}{(resource.Contains('(') ? "(key)" : "")}{(query.Contains("$filter", StringComparison.Ordinal) ? " filter" : "")}";
        }

        if (service == "queue")
        {
            string queue = resource.Contains("-control-", StringComparison.Ordinal) ? "control" : resource.Contains("-workitems", StringComparison.Ordinal) ? "workitems" : resource;
            return $"queue {method} {queue}{(parts.Length > 2 ? "/" + (parts.Length > 3 ? "messages/id" : parts[2]) : "")}{(query.Contains("popreceipt", StringComparison.OrdinalIgnoreCase) ? " popreceipt" : "")}";
        }

        return $"blob {method} {(parts.Length > 2 ? "blob" : "container")}{(query.Contains("comp=lease", StringComparison.Ordinal) ? " lease" : "")}";
    }

    /// <summary>Bytes relayed so far, per service: (service, sent to Azurite, received from it), for <c>--breakdown</c>.</summary>
    public IReadOnlyList<(string Service, long Sent, long Received)> Bytes() =>
        [.. new[] { "blob", "queue", "table" }.Select((service, i) => (service, Interlocked.Read(ref _bytesSent[i]), Interlocked.Read(ref _bytesReceived[i])))];

    public RequestCounts Snapshot() => new(Interlocked.Read(ref _blob), Interlocked.Read(ref _queue), Interlocked.Read(ref _table), Interlocked.Read(ref _account));

    public static Task<CountingProxy> StartAsync()
    {
        TcpListener[] listeners = [.. Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0))];
        foreach (TcpListener listener in listeners)
        {
            listener.Start(512);
        }

        int Port(int i) => ((IPEndPoint)listeners[i].LocalEndpoint).Port;
        CountingProxy proxy = new(listeners) { BlobPort = Port(0), QueuePort = Port(1), TablePort = Port(2) };
        proxy._accepting.AddRange(listeners.Select(proxy.AcceptAsync));
        return Task.FromResult(proxy);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client, ((IPEndPoint)listener.LocalEndpoint).Port);
        }
    }

    /// <summary>One client connection: its bytes to the phase's Azurite (requests counted on the way), Azurite's back.</summary>
    private async Task RelayAsync(Socket client, int port)
    {
        string service = port == BlobPort ? "blob" : port == QueuePort ? "queue" : "table";
        using Socket upstream = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (client)
        {
            client.NoDelay = true;
            try
            {
                AzuriteProcess azurite = Azurite;
                await upstream.ConnectAsync(IPAddress.Loopback, service == "blob" ? azurite.BlobPort : service == "queue" ? azurite.QueuePort : azurite.TablePort, _stop.Token);
                Http1RequestFramer framer = new();
                int kind = service == "blob" ? 0 : service == "queue" ? 1 : 2;
                Task requests = PumpAsync(client, upstream, data =>
                {
                    Interlocked.Add(ref _bytesSent[kind], data.Length);
                    framer.Feed(data, (method, target) => Count(service, method, target));
                });
                Task responses = PumpAsync(upstream, client, data => Interlocked.Add(ref _bytesReceived[kind], data.Length));
                if (await Task.WhenAny(requests, responses) == requests && requests.Exception?.InnerException is { } unframed)
                {
                    // Counts from here on would be wrong: say so where the figures are printed.
                    Console.Error.WriteLine($"counting proxy: a {service} connection could not be framed and was closed: {unframed.Message}");
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or InvalidOperationException or InvalidDataException or ObjectDisposedException)
            {
                // A connection that ends, or that this proxy cannot frame, is closed (the client sees that as a dropped connection).
            }
        }
    }

    private delegate void Observe(ReadOnlySpan<byte> data);

    private async Task PumpAsync(Socket from, Socket to, Observe? observe)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                observe?.Invoke(buffer.AsSpan(0, read));
                for (int sent = 0; sent < read;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private void Count(string service, string method, string target)
    {
        int q = target.IndexOf('?', StringComparison.Ordinal);
        string path = Uri.UnescapeDataString(q < 0 ? target : target[..q]), query = q < 0 ? "" : target[q..];
        _kinds.AddOrUpdate(KindOf(service, method, path, query), 1, (_, n) => n + 1);
        if (service == "blob")
        {
            Interlocked.Increment(ref _blob);
        }
        else if (service == "queue")
        {
            Interlocked.Increment(ref _queue);
        }
        else if (AccountTable is { } account && path.Contains(account, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _account);
        }
        else
        {
            Interlocked.Increment(ref _table);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (TcpListener listener in _listeners)
        {
            listener.Stop();
        }

        await Task.WhenAll(_accepting);
        _stop.Dispose();
    }
}
