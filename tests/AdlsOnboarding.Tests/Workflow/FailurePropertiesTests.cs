using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>
/// Failures as data on the in-process Durable Task host (the SDK's sidecar): the classification reaches the
/// orchestrator as <c>TaskFailureDetails.Properties</c>, and the message prefix is only the fallback.
/// </summary>
public sealed class FailurePropertiesTests
{
    /// <summary>The product's provider, with its properties changed on the way out (what a host would deliver).</summary>
    private sealed class ChangedProperties(Func<IDictionary<string, object?>?, IDictionary<string, object?>?> change) : IExceptionPropertiesProvider
    {
        public IDictionary<string, object?>? GetExceptionProperties(Exception exception) => change(new FailurePropertiesProvider().GetExceptionProperties(exception));
    }

    private static Task<WorkflowHarness> StartAsync(Func<IDictionary<string, object?>?, IDictionary<string, object?>?> change) =>
        WorkflowHarness.StartAsync(configureServices: services => services.AddSingleton<IExceptionPropertiesProvider>(new ChangedProperties(change)));

    [Fact]
    public async Task Retry_RetryAfterOnlyInTheProperties_Honoured()
    {
        // Adobe answers 503 without Retry-After: the message prefix says retryAfterMs=0, the properties say 3 s.
        await using WorkflowHarness harness = await StartAsync(properties =>
        {
            properties?["retryAfterMs"] = 3000L;
            return properties;
        });
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Unavailable());

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("propsretry"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        List<RecordedCall> creates = [.. harness.Adobe.State.Calls.Where(c => c.Operation == SimulatedOperation.Create)];
        Assert.Equal([503, 201], creates.Select(c => c.Status));
        // A lower bound only: the backoff alone is 200 ms, so only the properties can have made it wait 3 s.
        Assert.True(creates[1].ReceivedAt - creates[0].ReceivedAt >= TimeSpan.FromSeconds(3), $"gap {creates[1].ReceivedAt - creates[0].ReceivedAt}");
        Assert.Contains(harness.Logs.Entries, e => e.EventId.Id == 1003 && e.Message.Contains("read from Properties", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failure_PropertiesContradictTheMessage_RecordedFromTheProperties()
    {
        // Adobe's 503 is transient by its message; the properties say permanent, with another code.
        await using WorkflowHarness harness = await StartAsync(properties =>
        {
            properties?["code"] = "FromProperties";
            properties?["transient"] = false;
            return properties;
        });
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Unavailable());

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("propsperm"));

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal("FromProperties", outcome.ErrorCode);
        Assert.Single(harness.Adobe.State.Calls, c => c.Operation == SimulatedOperation.Create);
        AccountRecord record = (await harness.RecordAsync("prod", "propsperm"))!;
        Assert.Equal("FromProperties", record.ErrorCode);
        Assert.False(record.ErrorTransient);
    }

    [Fact]
    public async Task Failure_HostDropsTheProperties_MessagePrefixStillClassifies()
    {
        // A host (or an older history) without properties: Adobe's 400 is still permanent, with Adobe's code.
        await using WorkflowHarness harness = await StartAsync(_ => null);
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 400, Code: "1415-400"));

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("msgonly"));

        Assert.Equal(OnboardingStatus.Failed, outcome.Status);
        Assert.Equal("1415-400", outcome.ErrorCode);
        Assert.Single(harness.Adobe.State.Calls, c => c.Operation == SimulatedOperation.Create);
        Assert.Contains(harness.Logs.Entries, e => e.EventId.Id == 1004 && e.Message.Contains("read from Message", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failure_ProductProvider_ReachesTheOrchestratorAsProperties()
    {
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 400, Code: "1415-400"));

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("propsreal"));

        Assert.Equal("1415-400", outcome.ErrorCode);
        Assert.Contains(harness.Logs.Entries, e => e.EventId.Id == 1004 && e.Message.Contains("read from Properties", StringComparison.Ordinal));
        Assert.DoesNotContain(harness.Logs.Entries, e => e.EventId.Id is 1003 or 1004 && !e.Message.Contains("read from Properties", StringComparison.Ordinal));
    }
}
