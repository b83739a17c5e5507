using AdlsOnboarding.Workflow.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The Azure Functions app: ASP.NET Core integration for the HTTP triggers, the workflow library for everything else.
FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddAdlsOnboardingWorkflow();
builder.Build().Run();
