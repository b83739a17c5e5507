using System.Diagnostics;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Storage;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AdlsOnboarding.Tests.Telemetry;

/// <summary>One onboarding, two retries: one trace from the start to every Adobe call, the metrics, no replay duplicates.</summary>
public sealed class TelemetryTests
{
    private static readonly ActivitySource Caller = new("AdlsOnboarding.Tests.Caller");

    [Fact]
    public async Task OnboardingWithTwoRetries_OneTraceFromStartToEveryCall_MetricsAndRecordTraceId()
    {
        List<Activity> spans = [];
        List<Metric> metrics = [];
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(configureServices: services => services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(WorkflowTelemetry.Name, Caller.Name).AddHttpClientInstrumentation().AddInMemoryExporter(spans))
            .WithMetrics(meters => meters.AddMeter(WorkflowTelemetry.Name).AddInMemoryExporter(metrics)));
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 503));
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 500));

        string traceId;
        using (Activity root = Caller.StartActivity("POST /api/onboardings", ActivityKind.Server)!)
        {
            traceId = root.TraceId.ToHexString();
            var request = ApiCall.Request("POST", "https://app.test/api/onboardings", LocalHostHarness.Body("traced"));
            Assert.Equal(202, (await ApiCall.ExecuteAsync(request, await harness.Api.StartAsync(request, harness.Client))).Status);
        }

        await harness.WaitAsync("onboard-prod-traced");
        harness.Host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        harness.Host.Services.GetRequiredService<MeterProvider>().ForceFlush();

        // One trace: the onboarding's spans are found under the caller's trace id. (The listener is process-wide, so
        // spans of other tests running at the same time are left out by that same id; a broken propagation would
        // leave this onboarding's spans out too, and the counts below would fail.)
        List<Activity> ours = [.. spans.Where(s => s.TraceId.ToHexString() == traceId)];
        Assert.All(ours, s => Assert.True(s.Source.Name is WorkflowTelemetry.Name || s.Source.Name.StartsWith("System.Net.Http", StringComparison.Ordinal) || s.Source.Name == Caller.Name, s.Source.Name));
        Assert.Single(ours, s => s.DisplayName == "StartOnboarding");
        // One durable step per attempt (two failed creates, then the one that connects), nothing else on the happy path.
        Assert.Equal(3, ours.Count(s => s.DisplayName == "OnboardAccountActivity"));
        Assert.DoesNotContain(ours, s => s.DisplayName is "ResolveSecretVersionActivity" or "CreateConnectionActivity" or "SaveAccountRecordActivity");

        // Parents: activity spans under the start, each Flow Service call under its activity, each HTTP call under its Flow Service span.
        Dictionary<ActivitySpanId, Activity> byId = ours.ToDictionary(s => s.SpanId);
        Activity start = ours.Single(s => s.DisplayName == "StartOnboarding");
        Assert.All(ours.Where(s => s.DisplayName.EndsWith("Activity", StringComparison.Ordinal)), s => Assert.Equal(start.SpanId, s.ParentSpanId));
        List<Activity> creates = [.. ours.Where(s => s.DisplayName == "FlowService Create connection").OrderBy(s => s.StartTimeUtc)];
        Assert.Equal([503, 500, 201], creates.Select(s => (int)s.GetTagItem("http.response.status_code")!));
        Assert.All(creates, s => Assert.Equal("OnboardAccountActivity", byId[s.ParentSpanId].DisplayName));
        Assert.Equal("1103-503", creates[0].GetTagItem("adobe.error_code"));
        Assert.Contains(ours, s => s.DisplayName == "KeyVault GetSecret");
        Assert.Contains(ours, s => s.DisplayName == "IMS token");
        Assert.Contains(ours, s => s.Source.Name.StartsWith("System.Net.Http", StringComparison.Ordinal) && byId.TryGetValue(s.ParentSpanId, out Activity? parent) && parent.DisplayName == "FlowService Create connection");

        // Metrics.
        HashSet<string> names = [.. metrics.Select(m => m.Name)];
        Assert.Superset(new HashSet<string> { "adls.onboarding.started", "adls.onboarding.completed", "adls.onboarding.attempts", "adls.flowservice.duration", "adls.ims.token.refreshes" }, names);

        // The record links to the trace, with the attempt count; the orchestrator's lines were written once, not per replay.
        AccountRecord record = (await harness.RecordAsync("prod", "traced"))!;
        Assert.Equal(traceId, record.TraceId);
        Assert.Equal(3, record.AttemptCount);
        Assert.Single(harness.Logs.Entries, e => e.EventId.Id == 1000);
        Assert.Single(harness.Logs.Entries, e => e.EventId.Id == 1001);
    }

    [Fact]
    public async Task ActivityLogLines_CarryInstanceSandboxAndAccount()
    {
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync();

        await harness.OnboardAsync(WorkflowHarness.Request("scoped"));

        CapturedLog ensured = Assert.Single(harness.Logs.Entries, e => e.EventId.Id == 2000);
        Assert.Contains("onboard-prod-scoped", ensured.Message, StringComparison.Ordinal);
        Assert.Contains("scoped", ensured.Properties, StringComparison.Ordinal);
    }
}
