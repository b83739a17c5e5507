using AdlsOnboarding.Api;
using AdlsOnboarding.LocalHost;

// `AdlsOnboarding.LocalHost` serves the HTTP API on http://127.0.0.1:7071 (see docs/settings.md for settings);
// `AdlsOnboarding.LocalHost onboard-samples <file> [--api URL]` is the client half of scripts/run-local.sh.
if (args.Length > 0 && args[0] == "onboard-samples")
{
    return await SampleOnboarding.RunAsync(args[1..]);
}

// `AdlsOnboarding.LocalHost write-openapi <dir>` regenerates the checked-in OpenAPI documents (docs/).
if (args.Length > 1 && args[0] == "write-openapi")
{
    await File.WriteAllTextAsync(Path.Combine(args[1], "openapi.json"), await OnboardingOpenApi.OpenApi3JsonAsync());
    await File.WriteAllTextAsync(Path.Combine(args[1], "swagger.json"), await OnboardingOpenApi.Swagger2JsonAsync());
    return 0;
}

WebApplication app = await LocalHostApplication.BuildAsync(args);
await app.RunAsync();
return 0;
