using AdlsOnboarding.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace AdlsOnboarding.Functions;

/// <summary>HTTP triggers: adapters from the Functions host to <see cref="OnboardingApi"/>, nothing more.</summary>
public sealed class OnboardingHttpFunctions(OnboardingApi api)
{
    [Function(nameof(StartOnboarding))]
    public async Task<IActionResult> StartOnboarding(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = OnboardingApi.OnboardingsRoute)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new ResultActionResult(await api.StartAsync(request, client, cancellationToken));

    /// <summary>Anonymous on purpose: the status URL carries its own signed, per-instance, short-lived token.</summary>
    [Function(nameof(GetOnboardingStatus))]
    public async Task<IActionResult> GetOnboardingStatus(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OnboardingApi.StatusRoute)] HttpRequest request,
        string instanceId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new ResultActionResult(await api.GetStatusAsync(request, client, instanceId, cancellationToken));
}
