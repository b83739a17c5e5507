using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Simulator.BlobStorage;
using AdlsOnboarding.Simulator.Entra;
using AdlsOnboarding.Simulator.KeyVault;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AdlsOnboarding.Simulator;

/// <summary>Starts the simulators on loopback, in this process (tests) or as the simulator program (local runs).</summary>
public static class SimulatorHost
{
    /// <summary>Starts the Flow Service + IMS simulator on 127.0.0.1 (port 0 = any free port).</summary>
    public static async Task<RunningSimulator<SimulatorState>> StartAdobeAsync(SimulatorSettings? settings = null, int port = 0, Action<WebApplicationBuilder>? configure = null)
    {
        SimulatorState state = new(settings ?? new SimulatorSettings());
        WebApplicationBuilder builder = CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        configure?.Invoke(builder);
        builder.Services.AddSingleton(state);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        WebApplication app = builder.Build();
        app.MapAdobeSimulator(state);
        app.MapSimulatorControl(state);
        await app.StartAsync();
        return new RunningSimulator<SimulatorState>(app, state, null);
    }

    /// <summary>Starts the Key Vault stand-in on https://127.0.0.1 with a fresh self-signed certificate.</summary>
    public static async Task<RunningSimulator<KeyVaultStubState>> StartKeyVaultAsync(int port = 0)
    {
        KeyVaultStubState state = new();
        X509Certificate2 certificate = CreateLoopbackCertificate();
        WebApplicationBuilder builder = CreateBuilder();
        ListenOnLoopbackHttps(builder, port, certificate);
        WebApplication app = builder.Build();
        app.MapKeyVaultStub(state);
        await app.StartAsync();
        return new RunningSimulator<KeyVaultStubState>(app, state, certificate);
    }

    /// <summary>
    /// Starts the Entra ID + blob endpoint stand-in on https://127.0.0.1 with a fresh self-signed certificate: the
    /// authority host is its base address, an account's blob endpoint is <c>{base}/{account}</c>.
    /// </summary>
    public static async Task<RunningSimulator<EntraBlobStandIn>> StartEntraAndBlobAsync(int port = 0)
    {
        EntraBlobStandIn state = new();
        X509Certificate2 certificate = CreateLoopbackCertificate();
        WebApplicationBuilder builder = CreateBuilder();
        ListenOnLoopbackHttps(builder, port, certificate);
        WebApplication app = builder.Build();
        app.MapEntraStandIn(state.Entra);
        app.MapBlobStandIn(state.Blobs, state.Entra);
        app.MapFallback(http =>
        {
            state.RecordUnmatched(http.Request);
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await app.StartAsync();
        return new RunningSimulator<EntraBlobStandIn>(app, state, certificate);
    }

    /// <summary>A self-signed certificate for 127.0.0.1 and localhost, valid for a day.</summary>
    public static X509Certificate2 CreateLoopbackCertificate()
    {
        using RSA rsa = RSA.Create(2048);
        CertificateRequest request = new("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        SubjectAlternativeNameBuilder names = new();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Re-import so the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }

    private static void ListenOnLoopbackHttps(WebApplicationBuilder builder, int port, X509Certificate2 certificate) =>
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(certificate);
        }));

    private static WebApplicationBuilder CreateBuilder()
    {
        // Stand-ins read no settings files, so they do not watch them either: each watcher costs an inotify instance,
        // test runs start many hosts at once, and the per-user limit (128) is shared with every process on the machine.
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        return builder;
    }
}

/// <summary>A running simulator: its base address, its state, and (for https) the certificate to trust.</summary>
public sealed class RunningSimulator<TState>(WebApplication app, TState state, X509Certificate2? certificate) : IAsyncDisposable
{
    public TState State { get; } = state;

    public X509Certificate2? Certificate { get; } = certificate;

    public Uri BaseAddress { get; } = new(app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal));

    /// <summary>Waits for Ctrl-C or SIGTERM (the host's console lifetime).</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        Certificate?.Dispose();
    }
}
