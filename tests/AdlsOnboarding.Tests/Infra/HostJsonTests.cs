using System.Globalization;
using System.Text.Json.Nodes;

namespace AdlsOnboarding.Tests.Infra;

/// <summary>The host.json the Functions app ships with, checked against Flex Consumption's guidance.</summary>
public sealed class HostJsonTests
{
    private static readonly JsonObject Host = JsonNode.Parse(File.ReadAllText(Path.Combine(AdlsOnboarding.Tests.Api.LocalFiles.Root, "host.json")))!.AsObject();

    [Fact]
    public void DurableQueues_PolledAtLeastEveryTenSecondsOnFourPartitions()
    {
        JsonObject provider = Host["extensions"]!["durableTask"]!["storageProvider"]!.AsObject();

        // Microsoft's Durable Functions guidance for Flex Consumption: poll the task hub's queues every 10 s or less.
        TimeSpan polling = TimeSpan.Parse(provider["maxQueuePollingInterval"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.InRange(polling, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        // docs/deploy.md states the idle cost from these two numbers: (partitions + 1 work-item queue) x 3600 s / interval.
        Assert.Equal(4, provider["partitionCount"]!.GetValue<int>());
        Assert.Contains("1,800 queue reads an hour", File.ReadAllText(Path.Combine(AdlsOnboarding.Tests.Api.LocalFiles.Root, "docs", "deploy.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Durable_AStartOverAScheduledRunningOrSuspendedInstanceIsRefused()
    {
        // The start schedules first and counts on the backend refusing an id that is still active (OnboardingStarter).
        // The Functions host decides that by this option, not by the request's dedupe statuses; its default (AnyState)
        // would start a second execution over a running onboarding or offboarding.
        Assert.Equal("NonRunningStates", Host["extensions"]!["durableTask"]!["overridableExistingInstanceStates"]?.GetValue<string>());
    }

    [Fact]
    public void Logging_NoApplicationInsightsSectionUnderOpenTelemetry()
    {
        Assert.Equal("OpenTelemetry", Host["telemetryMode"]!.GetValue<string>());
        // Ignored when telemetryMode is OpenTelemetry: its presence would only suggest that sampling applies.
        Assert.Null(Host["logging"]!["applicationInsights"]);
    }
}
