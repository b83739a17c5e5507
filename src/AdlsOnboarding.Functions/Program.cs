using AdlsOnboarding.Api;
using AdlsOnboarding.Workflow.Hosting;
using AdlsOnboarding.Workflow.Telemetry;
using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;

// The Azure Functions app: ASP.NET Core integration for the HTTP triggers, the API library behind them, the workflow
// library for everything else, OpenTelemetry (host.json telemetryMode) exported to Application Insights with the app's
// identity.
FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddAdlsOnboardingWorkflow();
builder.Services.AddAdlsOnboardingApi();

IOpenTelemetryBuilder telemetry = builder.Services.AddOpenTelemetry()
    .UseFunctionsWorkerDefaults()
    .WithTracing(tracing => tracing.AddSource(WorkflowTelemetry.Name).AddHttpClientInstrumentation())
    .WithMetrics(metrics => metrics.AddMeter(WorkflowTelemetry.Name));
if (!string.IsNullOrEmpty(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
{
    // Entra-authenticated ingestion (local authentication is off on the Application Insights resource).
    telemetry.UseAzureMonitorExporter();
    builder.Services.AddOptions<AzureMonitorExporterOptions>().Configure<TokenCredential>((options, credential) => options.Credential = credential);
}

builder.Build().Run();
