using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>Table Storage answering 503 to writes: the record write is retried durably until it lands.</summary>
public sealed class TableStorageFaultTests
{
    /// <summary>Fails the next N writes (not reads) with 503, before they reach Azurite.</summary>
    private sealed class FailWritesPolicy(int failures) : HttpPipelineSynchronousPolicy
    {
        private int _remaining = failures;

        public int Failed { get; private set; }

        public override void OnSendingRequest(HttpMessage message)
        {
            bool write = message.Request.Method != RequestMethod.Get && !message.Request.Uri.Path.EndsWith("/Tables", StringComparison.Ordinal);
            if (write && Interlocked.Decrement(ref _remaining) >= 0)
            {
                Failed++;
                throw new Azure.RequestFailedException(503, "Injected: server busy", "ServerBusy", null);
            }
        }
    }

    [Fact]
    public async Task Onboard_TableWritesFailing_RetriedUntilTheRecordIsWritten()
    {
        // Three consecutive failures outlast the Table client's own two retries, so the durable retry must act.
        FailWritesPolicy policy = new(failures: 4);
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(
            configureServices: services => services.AddSingleton<Action<TableClientOptions>>(o => o.AddPolicy(policy, HttpPipelinePosition.PerRetry)));

        (_, OnboardingOutcome outcome) = await harness.OnboardAsync(WorkflowHarness.Request("tablefaults"));

        Assert.Equal(OnboardingStatus.Connected, outcome.Status);
        Assert.Equal(4, policy.Failed);
        Assert.Equal(OnboardingStatus.Connected, (await harness.RecordAsync("prod", "tablefaults"))!.Status);
        Assert.Single(harness.Adobe.State.Connections);
    }
}
