using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>
/// A reverse proxy on loopback in front of Azurite's Table endpoint that answers a share of requests with 503
/// ServerBusy instead of forwarding them, as Table Storage does under load.
/// </summary>
public sealed class FaultInjectingProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Host", "Connection", "Transfer-Encoding", "Keep-Alive", "Content-Length" };
    private readonly WebApplication _app;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
    private readonly Random _random = new(777);
    private int _injected;
    private int _forwarded;

    private FaultInjectingProxy(WebApplication app) => _app = app;

    public Uri Target { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    public double FaultRate { get; set; }

    public int Injected => _injected;

    public int Forwarded => _forwarded;

    public static async Task<FaultInjectingProxy> StartAsync(Uri target)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        FaultInjectingProxy proxy = new(app) { Target = target };
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        proxy.Address = new Uri(app.Urls.First());
        return proxy;
    }

    /// <summary>Azurite's connection string with the Table endpoint moved to this proxy.</summary>
    public string ConnectionString(string azurite) =>
        string.Join(';', azurite.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(part =>
            part.StartsWith("TableEndpoint=", StringComparison.Ordinal) ? $"TableEndpoint={Address.AbsoluteUri}devstoreaccount1" : part)) + ";";

    private async Task HandleAsync(HttpContext context)
    {
        bool fault;
        lock (_random)
        {
            fault = _random.NextDouble() < FaultRate;
        }

        if (fault)
        {
            Interlocked.Increment(ref _injected);
            context.Response.StatusCode = 503;
            context.Response.ContentType = "application/json;odata=minimalmetadata";
            await context.Response.WriteAsync("""{"odata.error":{"code":"ServerBusy","message":{"lang":"en-US","value":"Injected: the server is busy."}}}""");
            return;
        }

        Interlocked.Increment(ref _forwarded);
        using HttpRequestMessage forward = new(new HttpMethod(context.Request.Method), new Uri(Target, context.Request.Path + context.Request.QueryString));
        using MemoryStream body = new();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        if (body.Length > 0)
        {
            forward.Content = new ByteArrayContent(body.ToArray());
        }

        foreach ((string name, Microsoft.Extensions.Primitives.StringValues values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!forward.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                forward.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        using HttpResponseMessage response = await _http.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach ((string name, IEnumerable<string> values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopByHop.Contains(name))
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
