using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Hosting;
using AdlsOnboarding.Workflow.Preflight;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>The pre-flight's settings: defaults are Azure's public cloud, and bad values stop the host at start-up.</summary>
public sealed class PreflightOptionsTests
{
    private static Dictionary<string, string?> Valid() =>
        WorkflowHarness.BaseSettings(new Uri("http://127.0.0.1:7081/"), new Uri("https://127.0.0.1:7082/"), "Accounts");

    private static async Task<Exception?> StartAsync(Dictionary<string, string?> settings)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<Azure.Core.TokenCredential>(new StaticTokenCredential("t"));
        builder.Services.AddAdlsOnboardingWorkflow();
        using IHost host = builder.Build();
        try
        {
            await host.StartAsync();
            await host.StopAsync();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static PreflightOptions Bound(Dictionary<string, string?> settings)
    {
        ServiceCollection services = new();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddAdlsOnboardingWorkflow();
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<PreflightOptions>>().Value;
    }

    [Fact]
    public void Defaults_PublicCloudOnWithTenMinuteGrace()
    {
        // The suites' settings point the pre-flight at loopback; the product's own defaults are Azure's public cloud.
        Dictionary<string, string?> settings = Valid();
        foreach (string key in settings.Keys.Where(k => k.StartsWith(PreflightOptions.Section + ":", StringComparison.Ordinal)).ToList())
        {
            settings.Remove(key);
        }

        PreflightOptions options = Bound(settings);

        Assert.True(options.Enabled);
        Assert.Equal(new Uri("https://login.microsoftonline.com/"), options.AuthorityHost);
        Assert.Equal(new Uri("https://contosolake.blob.core.windows.net"), options.BlobEndpointFor("contosolake"));
        Assert.Equal(TimeSpan.FromMinutes(10), options.NewKeyGracePeriod);
        Assert.Null(options.LoopbackCertificateThumbprint);
    }

    [Fact]
    public void Switch_ReadFromOnboardingSectionOnly()
    {
        Dictionary<string, string?> off = Valid();
        off["Onboarding:Preflight"] = "Off";
        Dictionary<string, string?> elsewhere = Valid();
        elsewhere["Preflight:Mode"] = "Off";

        Assert.False(Bound(off).Enabled);
        Assert.True(Bound(elsewhere).Enabled);
    }

    [Fact]
    public async Task Start_StandInOnLoopback_Starts()
    {
        Dictionary<string, string?> settings = Valid();
        settings["Preflight:AuthorityHost"] = "https://127.0.0.1:7083/";
        settings["Preflight:BlobEndpointTemplate"] = "https://127.0.0.1:7083/{account}";
        settings["Preflight:LoopbackCertificateThumbprint"] = "0123456789ABCDEF0123456789ABCDEF01234567";
        settings["Onboarding:Preflight"] = "Off";

        Assert.Null(await StartAsync(settings));
    }

    [Theory]
    [InlineData("Onboarding:Preflight", "on", "must be On or Off")]
    [InlineData("Onboarding:Preflight", "true", "must be On or Off")]
    [InlineData("Preflight:AuthorityHost", "http://login.microsoftonline.com/", "Preflight:AuthorityHost must be an absolute https URL")]
    [InlineData("Preflight:AuthorityHost", "http://127.0.0.1:7083/", "Preflight:AuthorityHost must be an absolute https URL")]
    [InlineData("Preflight:AuthorityHost", "https://login.microsoftonline.com/?x=1", "no query")]
    [InlineData("Preflight:BlobEndpointTemplate", "https://contosolake.blob.core.windows.net", "exactly once")]
    [InlineData("Preflight:BlobEndpointTemplate", "https://{account}.blob.core.windows.net/{account}", "exactly once")]
    [InlineData("Preflight:BlobEndpointTemplate", "http://{account}.blob.core.windows.net", "must use https")]
    [InlineData("Preflight:BlobEndpointTemplate", "https://blob.example.com/{account}", "at the start of the host")]
    [InlineData("Preflight:BlobEndpointTemplate", "https://x{account}.blob.core.windows.net", "at the start of the host")]
    [InlineData("Preflight:BlobEndpointTemplate", "https://{account}.blob.core.windows.net/?sig=1", "no query")]
    [InlineData("Preflight:BlobEndpointTemplate", "https://{account}@evil.example/", "no query, fragment or user info")]
    [InlineData("Preflight:LoopbackCertificateThumbprint", "not-a-thumbprint", "40 hexadecimal")]
    [InlineData("Preflight:NewKeyGracePeriod", "2.00:00:00", "NewKeyGracePeriod")]
    [InlineData("Preflight:RequestTimeout", "00:00:00", "RequestTimeout")]
    public async Task Start_InvalidSetting_FailsNamingIt(string key, string value, string expected)
    {
        Dictionary<string, string?> settings = Valid();
        settings[key] = value;

        Exception? ex = await StartAsync(settings);

        OptionsValidationException validation = Assert.IsType<OptionsValidationException>(ex);
        Assert.Contains(expected, validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PlainHttpBlobEndpointOnLoopback_Starts()
    {
        Dictionary<string, string?> settings = Valid();
        settings["Preflight:BlobEndpointTemplate"] = "http://127.0.0.1:10000/{account}";

        Assert.Null(await StartAsync(settings));
    }
}
