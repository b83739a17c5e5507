using AdlsOnboarding.Workflow.Telemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AdlsOnboarding.LocalHost;

/// <summary>Where the local host sends its telemetry (section <c>Telemetry</c>).</summary>
public sealed class LocalTelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary><c>None</c> (default), <c>Console</c>, or <c>Otlp</c> (to <see cref="OtlpEndpoint"/>).</summary>
    public string Exporter { get; set; } = "None";

    public Uri? OtlpEndpoint { get; set; }
}

/// <summary>OpenTelemetry for the local host: the same sources and meters as the Functions app, exported by choice.</summary>
public static class LocalTelemetry
{
    public static void AddLocalTelemetry(this WebApplicationBuilder builder)
    {
        LocalTelemetryOptions options = builder.Configuration.GetSection(LocalTelemetryOptions.Section).Get<LocalTelemetryOptions>() ?? new LocalTelemetryOptions();
        string exporter = options.Exporter.ToLowerInvariant();
        if (exporter == "none")
        {
            return;
        }

        if (exporter is not ("console" or "otlp"))
        {
            throw new InvalidOperationException($"Telemetry:Exporter must be None, Console or Otlp, not '{options.Exporter}'.");
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("adls-onboarding-localhost"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(WorkflowTelemetry.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                _ = exporter == "console" ? tracing.AddConsoleExporter() : tracing.AddOtlpExporter(o => o.Endpoint = options.OtlpEndpoint ?? o.Endpoint);
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(WorkflowTelemetry.Name);
                _ = exporter == "console" ? metrics.AddConsoleExporter() : metrics.AddOtlpExporter(o => o.Endpoint = options.OtlpEndpoint ?? o.Endpoint);
            });
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeScopes = true;
            _ = exporter == "console" ? logging.AddConsoleExporter() : logging.AddOtlpExporter(o => o.Endpoint = options.OtlpEndpoint ?? o.Endpoint);
        });
    }
}
