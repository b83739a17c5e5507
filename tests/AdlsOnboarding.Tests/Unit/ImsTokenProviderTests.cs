using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AdlsOnboarding.Tests.Unit;

public sealed class ImsTokenProviderTests
{
    [Fact]
    public async Task GetToken_Twice_AsksImsOnce()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        ImsTokenProvider tokens = harness.Get<ImsTokenProvider>();

        SensitiveString first = await tokens.GetTokenAsync();
        SensitiveString second = await tokens.GetTokenAsync();

        Assert.Same(first, second);
        Assert.Single(harness.Adobe.State.Calls, c => c.Operation == SimulatedOperation.Token);
    }

    [Fact]
    public async Task GetToken_NearExpiry_RenewsBeforeItExpires()
    {
        FakeTimeProvider time = new(DateTimeOffset.UtcNow);
        await using ClientHarness harness = await ClientHarness.StartAsync(
            s => s["Adobe:TokenRefreshMargin"] = "00:10:00",
            services => services.AddSingleton<TimeProvider>(time),
            new SimulatorSettings { TokenLifetime = TimeSpan.FromHours(1) });
        ImsTokenProvider tokens = harness.Get<ImsTokenProvider>();

        SensitiveString first = await tokens.GetTokenAsync();
        time.Advance(TimeSpan.FromMinutes(49));
        Assert.Same(first, await tokens.GetTokenAsync());
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.NotSame(first, await tokens.GetTokenAsync());

        Assert.Equal(2, harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Token));
    }

    [Fact]
    public async Task GetToken_ConcurrentCallers_OneRequest()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        ImsTokenProvider tokens = harness.Get<ImsTokenProvider>();

        SensitiveString[] all = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => tokens.GetTokenAsync()));

        Assert.Single(all.Distinct());
        Assert.Single(harness.Adobe.State.Calls, c => c.Operation == SimulatedOperation.Token);
    }

    [Fact]
    public async Task GetToken_WrongClientSecret_PermanentInvalidClient()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync(s => s[$"Secrets:Local:{WorkflowHarness.ImsSecretName}"] = "wrong");

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => harness.Get<ImsTokenProvider>().GetTokenAsync());

        Assert.Equal("invalid_client", ex.Code);
        Assert.False(ex.IsTransient);
        Assert.DoesNotContain("wrong", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_ImsUnavailable_TransientWithRetryAfter()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Token, SimulatedFault.Unavailable(retryAfterSeconds: 4));

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => harness.Get<ImsTokenProvider>().GetTokenAsync());

        Assert.True(ex.IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(4), ex.RetryAfter);
    }
}
