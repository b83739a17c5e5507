using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;

namespace AdlsOnboarding.Tests.LocalHost;

/// <summary>
/// Failures as data on the local host: the SDK's sidecar over the Azure Storage provider keeps
/// <c>TaskFailureDetails.Properties</c> through the history on Azurite, so the retry handler reads them, not the message.
/// </summary>
public sealed class LocalHostFailurePropertiesTests
{
    [Fact]
    public async Task Retry_ThrottledCreate_ClassifiedFromPropertiesAndRetryAfterHonoured()
    {
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s => s[$"Logging:LogLevel:{DurableRetry.LogCategory}"] = "Information");
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Unavailable(retryAfterSeconds: 2));

        ApiResponse accepted = await harness.PostAsync(LocalHostHarness.Body("lhprops"));
        ApiResponse done = await harness.PollUntilDoneAsync(accepted.Header("Location")!);

        Assert.Equal(200, done.Status);
        List<RecordedCall> creates = [.. harness.Adobe.State.Calls.Where(c => c.Operation == SimulatedOperation.Create)];
        Assert.Equal([503, 201], creates.Select(c => c.Status));
        Assert.True(creates[1].ReceivedAt - creates[0].ReceivedAt >= TimeSpan.FromSeconds(2), $"gap {creates[1].ReceivedAt - creates[0].ReceivedAt}");
        string log = harness.Host.Output;
        Assert.Contains("activity failed with 1103-503; attempt 2", log, StringComparison.Ordinal);
        Assert.Contains("read from Properties", log, StringComparison.Ordinal);
        Assert.DoesNotContain("read from Message", log, StringComparison.Ordinal);
    }
}
