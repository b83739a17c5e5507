using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.Adobe;

// The stand-ins as their own processes, for local runs and the benchmark:
//   `dotnet AdlsOnboarding.Simulator.dll --port 7081`: the Adobe Flow Service + IMS simulator (http);
//   `dotnet AdlsOnboarding.Simulator.dll entra-blob --port 7091 --setup samples/entra-blob-standin.json [--thumbprint-file F]`:
//   Entra ID's token endpoint and the accounts' blob endpoints (https, a fresh self-signed certificate whose SHA-1
//   thumbprint it prints and writes to F: the pre-flight trusts exactly that, Preflight:LoopbackCertificateThumbprint).
if (args.Length > 0 && args[0] == "entra-blob")
{
    IConfiguration standInArgs = new ConfigurationBuilder().AddCommandLine(args[1..]).Build();
    await using RunningSimulator<EntraBlobStandIn> standIn = await SimulatorHost.StartEntraAndBlobAsync(standInArgs.GetValue("port", 7091));
    if (standInArgs["setup"] is { Length: > 0 } setup)
    {
        EntraBlobSetup.Read(setup).ApplyTo(standIn.State);
    }

    string thumbprint = standIn.Certificate!.Thumbprint;
    if (standInArgs["thumbprint-file"] is { Length: > 0 } thumbprintFile)
    {
        // Written whole, then renamed: a reader never sees half a thumbprint.
        await File.WriteAllTextAsync(thumbprintFile + ".tmp", thumbprint);
        File.Move(thumbprintFile + ".tmp", thumbprintFile, overwrite: true);
    }

    Console.WriteLine($"Entra + blob stand-in listening on {standIn.BaseAddress} (authority host {standIn.BaseAddress}, blob endpoint {standIn.BaseAddress}{{account}}, certificate thumbprint {thumbprint})");
    await standIn.WaitForShutdownAsync();
    return;
}

IConfiguration configuration = new ConfigurationBuilder().AddEnvironmentVariables("ADOBESIM_").AddCommandLine(args).Build();
SimulatorSettings settings = configuration.GetSection("Simulator").Get<SimulatorSettings>() ?? new SimulatorSettings();
int port = configuration.GetValue("port", 7081);

await using RunningSimulator<SimulatorState> simulator = await SimulatorHost.StartAdobeAsync(settings, port);
simulator.State.Latency = TimeSpan.FromMilliseconds(configuration.GetValue("latencyMs", 0.0));
simulator.State.CreateFaultRate = configuration.GetValue("createFaultRate", 0.0);
simulator.State.RateLimitPerSecond = configuration.GetValue("rateLimitPerSecond", 0);
simulator.State.ConcurrencyCap = configuration.GetValue("concurrencyCap", 0);
Console.WriteLine($"Adobe simulator listening on {simulator.BaseAddress} (Flow Service at {AdobeSimulatorEndpoints.FlowServicePath}, IMS at {AdobeSimulatorEndpoints.ImsTokenPath})");

await simulator.WaitForShutdownAsync();
