using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Api;

/// <summary>
/// The logic behind the HTTP API, shared by the Azure Functions app and the local host: each host maps its routes
/// here and passes its <see cref="DurableTaskClient"/>. Answers are <see cref="IResult"/>s.
/// </summary>
public sealed class OnboardingApi(
    StatusTokenService statusTokens,
    PublicUrlBuilder urls,
    IOptions<ApiOptions> apiOptions,
    IOptions<OnboardingOptions> onboardingOptions,
    ILogger<OnboardingApi> logger)
{
    public const string OnboardingsRoute = "onboardings";
    public const string StatusRoute = "onboardings/{instanceId}";
    public const string RoutePrefix = "/api/";

    private static readonly OrchestrationRuntimeStatus[] ActiveStatuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    /// <summary><c>POST /api/onboardings</c>: validate, then start the account's onboarding or join the running one.</summary>
    public async Task<IResult> StartAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        if (!IsJson(request.ContentType))
        {
            return Problems.UnsupportedMediaType();
        }

        (OnboardingRequest? body, Dictionary<string, string[]> readErrors) = await OnboardingRequestReader.ReadAsync(request, apiOptions.Value.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return Problems.Validation(readErrors);
        }

        if (!OnboardingRequestValidator.TryValidate(body, out ValidOnboardingRequest? valid, out Dictionary<string, string[]> errors))
        {
            return Problems.Validation(errors);
        }

        OnboardingInput input = OnboardingInput.From(valid!, onboardingOptions.Value.ToRetrySettings());
        return await StartOrJoinAsync(request, client, input, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The one start-or-join routine: the same request joins a running onboarding of the account, a different one
    /// gets 409, and an account with no running onboarding gets a new one (re-onboarding after a finished one).
    /// </summary>
    public async Task<IResult> StartOrJoinAsync(HttpRequest request, DurableTaskClient client, OnboardingInput input, CancellationToken cancellationToken = default)
    {
        string instanceId = OnboardingInstanceId.For(input.Sandbox, input.AccountName);
        for (int attempt = 1; ; attempt++)
        {
            OrchestrationMetadata? existing = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false);
            if (existing is not null && ActiveStatuses.Contains(existing.RuntimeStatus))
            {
                OnboardingInput? running = existing.ReadInputAs<OnboardingInput>();
                if (running?.Fingerprint == input.Fingerprint)
                {
                    Logs.OnboardingJoined(logger, instanceId);
                    return Accepted(request, instanceId, existing.RuntimeStatus);
                }

                Logs.OnboardingConflict(logger, instanceId);
                return Problems.Conflict(instanceId, StatusUrl(request, instanceId));
            }

            try
            {
                StartOrchestrationOptions options = new StartOrchestrationOptions(instanceId).WithDedupeStatuses(ActiveStatuses);
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(OnboardingOrchestration), input, options, cancellationToken).ConfigureAwait(false);
                Logs.OnboardingAccepted(logger, instanceId, input.Sandbox, input.AccountName);
                return Accepted(request, instanceId, OrchestrationRuntimeStatus.Pending);
            }
            catch (Exception ex) when (attempt < 3 && ex is not OperationCanceledException)
            {
                // Another request started this instance between the read and the start: read again and join it.
            }
        }
    }

    /// <summary><c>GET /api/onboardings/{instanceId}?token=…</c>: 202 while running, 200 connected, 422 failed.</summary>
    public async Task<IResult> GetStatusAsync(HttpRequest request, DurableTaskClient client, string instanceId, CancellationToken cancellationToken = default)
    {
        string? token = request.Query["token"];
        if (!statusTokens.IsValid(instanceId, token))
        {
            return Problems.Unauthorized();
        }

        OrchestrationMetadata? metadata = instanceId.StartsWith(OnboardingInstanceId.Prefix, StringComparison.Ordinal)
            ? await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false)
            : null;
        if (metadata is null)
        {
            return Problems.NotFound(instanceId);
        }

        switch (metadata.RuntimeStatus)
        {
            case OrchestrationRuntimeStatus.Completed:
                OnboardingOutcome? outcome = metadata.ReadOutputAs<OnboardingOutcome>();
                if (outcome is { Status: OnboardingStatus.Connected, ConnectionId: not null })
                {
                    return Results.Json(new OnboardingResult(
                        instanceId, outcome.Status.ToString(), outcome.Sandbox, outcome.AccountName, outcome.ConnectionId, outcome.Etag,
                        outcome.ConnectionName, outcome.Action?.ToString().ToLowerInvariant(), outcome.CredentialTestPassed, outcome.SecretVersion,
                        outcome.Warning, outcome.CompletedAt));
                }

                return Problems.OnboardingFailed(instanceId, outcome?.ErrorCode ?? "Unknown", outcome?.ErrorMessage ?? "The onboarding failed.");
            case OrchestrationRuntimeStatus.Failed:
                return Problems.OnboardingFailed(instanceId, "OrchestrationFailed", "The onboarding stopped on an internal error; start it again.");
            case OrchestrationRuntimeStatus.Terminated:
                return Problems.OnboardingFailed(instanceId, "Terminated", "The onboarding was terminated by an operator.");
            default:
                return Accepted(request, instanceId, metadata.RuntimeStatus);
        }
    }

    private IResult Accepted(HttpRequest request, string instanceId, OrchestrationRuntimeStatus status)
    {
        string statusUrl = StatusUrl(request, instanceId);
        request.HttpContext.Response.Headers.RetryAfter = apiOptions.Value.StatusRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Accepted(statusUrl, new OnboardingAccepted(instanceId, status.ToString(), statusUrl));
    }

    private string StatusUrl(HttpRequest request, string instanceId) =>
        urls.Build(request, $"{RoutePrefix}onboardings/{Uri.EscapeDataString(instanceId)}?token={Uri.EscapeDataString(statusTokens.Issue(instanceId))}");

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && contentType.Contains("+json", StringComparison.OrdinalIgnoreCase)));
}
