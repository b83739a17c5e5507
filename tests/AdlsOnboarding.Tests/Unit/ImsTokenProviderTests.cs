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

    [Fact]
    public async Task GetToken_ConcurrentCallersWhileTheRequestFails_OneRequestAndTheyAllShareItsFailure()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Token, new SimulatedFault(FaultKind.Status, 503, Delay: TimeSpan.FromSeconds(1)));
        ImsTokenProvider tokens = harness.Get<ImsTokenProvider>();

        Task<SensitiveString>[] callers = [.. Enumerable.Range(0, 20).Select(_ => tokens.GetTokenAsync())];
        foreach (Task<SensitiveString> caller in callers)
        {
            AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => caller);
            Assert.Equal(503, ex.Status);
        }

        Assert.Single(harness.Adobe.State.Calls, c => c.Operation == SimulatedOperation.Token);

        // The failure is not remembered: the next caller asks again.
        Assert.NotNull(await tokens.GetTokenAsync());
        Assert.Equal(2, harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Token));
    }

    [Fact]
    public async Task GetToken_Ims429AskingForADay_NextRequestHeldBackUnsentWithTheRestOfTheDay()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Token, SimulatedFault.Throttle(86400));
        ImsTokenProvider tokens = harness.Get<ImsTokenProvider>();

        AdobeServiceException throttled = await Assert.ThrowsAsync<AdobeServiceException>(() => tokens.GetTokenAsync());
        AdobeServiceException heldBack = await Assert.ThrowsAsync<AdobeServiceException>(() => tokens.GetTokenAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(TimeSpan.FromDays(1), throttled.RetryAfter);
        Assert.True(heldBack.IsTransient);
        Assert.Equal(429, heldBack.Status);
        Assert.InRange(heldBack.RetryAfter!.Value, TimeSpan.FromSeconds(30), TimeSpan.FromDays(1));
        Assert.Single(harness.Adobe.State.Calls, c => c.Operation == SimulatedOperation.Token);
    }

    [Fact]
    public async Task GetToken_Ims429WithinTheCap_NextRequestWaitsItOut()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Token, SimulatedFault.Throttle(2));
        ImsTokenProvider tokens = harness.Get<ImsTokenProvider>();

        await Assert.ThrowsAsync<AdobeServiceException>(() => tokens.GetTokenAsync());
        Assert.NotNull(await tokens.GetTokenAsync());

        List<RecordedCall> requests = [.. harness.Adobe.State.Calls.Where(c => c.Operation == SimulatedOperation.Token)];
        Assert.Equal([429, 200], requests.Select(c => c.Status));

        // A lower bound only: the second request did not go out before IMS's Retry-After.
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromSeconds(2), $"gap {requests[1].ReceivedAt - requests[0].ReceivedAt}");
    }
}
