using AdlsOnboarding.Benchmark;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// The benchmark's command line: what is given is used exactly, and anything not exactly valid is refused, never
/// replaced by a default (a typo must not quietly measure something else).
/// </summary>
public sealed class BenchmarkSettingsTests
{
    [Fact]
    public void NoArguments_TheDocumentedDefaults()
    {
        Settings settings = Settings.Parse([]);

        Assert.Equal((1000, 100, 20, 50, 4, 20, 20, 200, 1, 200), (settings.N, settings.LatencyMs, settings.Cap, settings.SequentialSample, settings.Partitions, settings.Activities, settings.Orchestrations, settings.StatusPolls, settings.Repeat, settings.Warmup));
        Assert.False(settings.Direct);
        Assert.False(settings.Breakdown);
        Assert.Null(settings.Only);
        Assert.Null(settings.LocalHostOverride);
    }

    [Fact]
    public void EveryOption_TakenAsGiven()
    {
        Settings settings = Settings.Parse(["--n", "50", "--latency", "0", "--cap", "5", "--sample", "7", "--partitions", "16", "--activities", "30", "--status-polls", "0", "--repeat", "3", "--warmup", "0", "--only", "bare", "--direct", "--breakdown", "--localhost", "/tmp/x/AdlsOnboarding.LocalHost.dll"]);

        Assert.Equal((50, 0, 5, 7, 16, 30, 30, 0, 3, 0), (settings.N, settings.LatencyMs, settings.Cap, settings.SequentialSample, settings.Partitions, settings.Activities, settings.Orchestrations, settings.StatusPolls, settings.Repeat, settings.Warmup));
        Assert.True(settings.Direct);
        Assert.True(settings.Breakdown);
        Assert.Equal("bare", settings.Only);
        Assert.Equal("/tmp/x/AdlsOnboarding.LocalHost.dll", settings.LocalHostOverride);
        Assert.Equal(10, Settings.Parse(["--activities", "30", "--orchestrations", "10"]).Orchestrations);
    }

    [Theory]
    [InlineData("--n", "x")]
    [InlineData("--n", "0")]
    [InlineData("--n", "1e3")]
    [InlineData("--n", "+5")]
    [InlineData("--n", " 5")]
    [InlineData("--latency", "-1")]
    [InlineData("--cap", "0")]
    [InlineData("--partitions", "17")]
    [InlineData("--repeat", "0")]
    [InlineData("--warmup", "-1")]
    [InlineData("--only", "Bare")]
    public void BadValue_RefusedNamingTheOption(string option, string value)
    {
        ArgumentException refused = Assert.Throws<ArgumentException>(() => Settings.Parse([option, value]));

        Assert.Contains(option, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--n")]
    [InlineData("1000")]
    public void UnknownOrIncomplete_Refused(string argument)
    {
        Assert.Throws<ArgumentException>(() => Settings.Parse([argument]));
    }

    [Fact]
    public void OptionGivenTwice_Refused()
    {
        Assert.Throws<ArgumentException>(() => Settings.Parse(["--n", "10", "--n", "20"]));
    }
}
