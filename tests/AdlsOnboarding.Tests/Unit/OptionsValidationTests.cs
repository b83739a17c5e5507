using AdlsOnboarding.Api;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>Settings are checked when the host starts, not when the first onboarding needs them.</summary>
public sealed class OptionsValidationTests
{
    private static Dictionary<string, string?> Valid() =>
        WorkflowHarness.BaseSettings(new Uri("http://127.0.0.1:7081/"), new Uri("https://127.0.0.1:7082/"), "Accounts");

    private static async Task<Exception?> StartAsync(Dictionary<string, string?> settings)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<Azure.Core.TokenCredential>(new StaticTokenCredential("t"));
        builder.Services.AddAdlsOnboardingWorkflow();
        builder.Services.AddAdlsOnboardingApi();
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

    [Fact]
    public async Task Start_AllSettings_Starts()
    {
        Assert.Null(await StartAsync(Valid()));
    }

    [Theory]
    [InlineData("Adobe:ClientId")]
    [InlineData("Adobe:OrgId")]
    [InlineData("Api:StatusTokenKey")]
    [InlineData("Api:PublicBaseUrl")]
    [InlineData("Storage:ConnectionString")]
    public async Task Start_MissingSetting_FailsNamingIt(string key)
    {
        Dictionary<string, string?> settings = Valid();
        settings.Remove(key);

        Exception? ex = await StartAsync(settings);

        OptionsValidationException validation = Assert.IsType<OptionsValidationException>(ex);
        Assert.Contains(key.Split(':')[1], validation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Adobe:FlowServiceUrl", "http://platform.adobe.io/data/foundation/flowservice", "true")]
    [InlineData("Adobe:ImsTokenUrl", "http://127.0.0.1:7081/ims/token/v3", "false")]
    public async Task Start_PlainHttpUpstream_RefusedUnlessLoopbackAndAllowed(string key, string url, string allowLoopback)
    {
        Dictionary<string, string?> settings = Valid();
        settings[key] = url;
        settings["Adobe:AllowInsecureLoopback"] = allowLoopback;

        OptionsValidationException ex = Assert.IsType<OptionsValidationException>(await StartAsync(settings));

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ShortStatusTokenKey_Refused()
    {
        Dictionary<string, string?> settings = Valid();
        settings["Api:StatusTokenKey"] = Convert.ToBase64String(new byte[8]);

        OptionsValidationException ex = Assert.IsType<OptionsValidationException>(await StartAsync(settings));

        Assert.Contains("32 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://func-app.example.test")]
    [InlineData("https://func-app.example.test/api")]
    [InlineData("https://func-app.example.test/?x=1")]
    [InlineData("https://func-app.example.test/#top")]
    [InlineData("https://user:pw@func-app.example.test")]
    [InlineData("https://api.contoso.com:@evil.example")]
    [InlineData(" https://func-app.example.test")]
    [InlineData("func-app.example.test")]
    [InlineData("ftp://func-app.example.test")]
    [InlineData("http://10.0.0.5:7071")]
    public async Task Start_PublicBaseUrlNotAnHttpsOrigin_RefusedNamingIt(string value)
    {
        Dictionary<string, string?> settings = Valid();
        settings["Api:PublicBaseUrl"] = value;

        OptionsValidationException ex = Assert.IsType<OptionsValidationException>(await StartAsync(settings));

        Assert.Contains("Api:PublicBaseUrl", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://func-app.example.test")]
    [InlineData("https://func-app.example.test/")]
    [InlineData("https://onboarding.contoso.com:8443")]
    [InlineData("http://127.0.0.1:7071")]
    [InlineData("http://localhost:7071/")]
    [InlineData("http://[::1]:7071")]
    public async Task Start_PublicBaseUrlHttpsOriginOrLoopbackHttp_Starts(string value)
    {
        Dictionary<string, string?> settings = Valid();
        settings["Api:PublicBaseUrl"] = value;

        Assert.Null(await StartAsync(settings));
    }

    [Fact]
    public async Task Start_RemovedAdoptExistingConnectionsTrue_FailsNamingTheSettingAndItsReplacement()
    {
        Dictionary<string, string?> settings = Valid();
        settings["Onboarding:AdoptExistingConnections"] = "true";

        Exception? ex = await StartAsync(settings);

        // Adopting whatever had the account's name and URL was the hole; a deployment that relied on it must hear of it.
        OptionsValidationException validation = Assert.IsType<OptionsValidationException>(ex);
        Assert.Contains("AdoptExistingConnections", validation.Message, StringComparison.Ordinal);
        Assert.Contains("adoptConnectionId", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_RemovedAdoptExistingConnectionsFalse_Starts()
    {
        Dictionary<string, string?> settings = Valid();
        settings["Onboarding:AdoptExistingConnections"] = "false";

        Assert.Null(await StartAsync(settings));
    }
}
