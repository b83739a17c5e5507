using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

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
/// A counting reverse proxy in front of Azurite (blob, queue and table ports): every storage request a host makes
/// passes through it and is counted. A table request naming <see cref="AccountTable"/> counts as the account table;
/// everything else (task hub tables, queues, lease blobs) as the durable engine. Shared-key signatures do not cover the
/// host or port, so requests are forwarded unchanged.
/// </summary>
internal sealed class CountingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = 256,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    }) { Timeout = TimeSpan.FromMinutes(5) };

    private long _blob;
    private long _queue;
    private long _table;
    private long _account;

    private CountingProxy(WebApplication app) => _app = app;

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

    public RequestCounts Snapshot() => new(Interlocked.Read(ref _blob), Interlocked.Read(ref _queue), Interlocked.Read(ref _table), Interlocked.Read(ref _account));

    public static async Task<CountingProxy> StartAsync()
    {
        (int blob, int queue, int table) = (ProcessStats.FreePort(), ProcessStats.FreePort(), ProcessStats.FreePort());
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, blob);
            kestrel.Listen(IPAddress.Loopback, queue);
            kestrel.Listen(IPAddress.Loopback, table);
        });
        WebApplication app = builder.Build();
        CountingProxy proxy = new(app) { BlobPort = blob, QueuePort = queue, TablePort = table };
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        int port = context.Connection.LocalPort;
        AzuriteProcess azurite = Azurite;
        int upstreamPort = port == BlobPort ? azurite.BlobPort : port == QueuePort ? azurite.QueuePort : azurite.TablePort;
        string path = context.Request.Path.Value ?? "";
        _kinds.AddOrUpdate(KindOf(port == BlobPort ? "blob" : port == QueuePort ? "queue" : "table", context.Request.Method, path, context.Request.QueryString.Value ?? ""), 1, (_, n) => n + 1);
        if (port == BlobPort)
        {
            Interlocked.Increment(ref _blob);
        }
        else if (port == QueuePort)
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

        using HttpRequestMessage request = new(new HttpMethod(context.Request.Method), $"http://127.0.0.1:{upstreamPort}{context.Request.PathBase}{path}{context.Request.QueryString}");
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
        }

        foreach ((string name, Microsoft.Extensions.Primitives.StringValues values) in context.Request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach ((string name, IEnumerable<string> values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
    }
}
