using AdlsOnboarding.Simulator;
using AdlsOnboarding.Simulator.Adobe;

// The simulator as its own process, for local runs: `dotnet run --project src/AdlsOnboarding.Simulator -- --port 7081`.
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
