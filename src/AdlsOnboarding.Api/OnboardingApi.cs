using System.Globalization;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Api;

/// <summary>
/// The logic behind the HTTP API, shared by the Azure Functions app and the local host: each host maps its routes
/// here and passes its <see cref="DurableTaskClient"/>. Answers are <see cref="IResult"/>s.
/// </summary>
public sealed class OnboardingApi(
    OnboardingRequestValidator validator,
    OnboardingStarter starter,
    StatusTokenService statusTokens,
    PublicUrlBuilder urls,
    IOptions<ApiOptions> apiOptions,
    IOptions<OnboardingOptions> onboardingOptions)
{
    public const string OnboardingsRoute = "onboardings";
    public const string StatusRoute = "onboardings/{instanceId}";
    public const string RoutePrefix = "/api/";

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

        if (!validator.TryValidate(body, out ValidOnboardingRequest? valid, out Dictionary<string, string[]> errors))
        {
            return Problems.Validation(errors);
        }

        // No registration revision: this request is itself a registration, written by the onboarding's marks. (A PUT
        // is refused while the onboarding is scheduled or running.)
        OnboardingInput input = OnboardingInput.From(valid, onboardingOptions.Value.ToRetrySettings());
        return await StartOrJoinAsync(request, client, input, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts or joins through <see cref="OnboardingStarter"/> and answers 202, or 409 for a different running request.</summary>
    public async Task<IResult> StartOrJoinAsync(HttpRequest request, DurableTaskClient client, OnboardingInput input, CancellationToken cancellationToken = default)
    {
        if (!statusTokens.IsReady)
        {
            return NotReady(request);
        }

        StartResult result = await starter.StartOrJoinAsync(client, input, cancellationToken).ConfigureAwait(false);
        return result.Outcome == StartOutcome.Conflict
            ? Problems.Conflict(result.InstanceId, StatusUrl(result.InstanceId))
            : Accepted(request, result.InstanceId, result.Status);
    }

    /// <summary><c>GET /api/onboardings/{instanceId}?token=…</c>: 202 while running, 200 connected, 422 failed.</summary>
    public async Task<IResult> GetStatusAsync(HttpRequest request, DurableTaskClient client, string instanceId, CancellationToken cancellationToken = default)
    {
        if (!statusTokens.IsReady)
        {
            return NotReady(request);
        }

        string? token = request.Query["token"];
        if (!statusTokens.IsValid(instanceId, token))
        {
            return Problems.Unauthorized();
        }

        OrchestrationMetadata? metadata = instanceId.StartsWith(OnboardingInstanceId.Prefix, StringComparison.Ordinal) || instanceId.StartsWith(OffboardingInput.InstanceIdPrefix, StringComparison.Ordinal)
            ? await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false)
            : null;
        if (metadata is null)
        {
            return Problems.NotFound(instanceId);
        }

        switch (metadata.RuntimeStatus)
        {
            case OrchestrationRuntimeStatus.Completed when instanceId.StartsWith(OffboardingInput.InstanceIdPrefix, StringComparison.Ordinal):
                OffboardingOutcome? offboarding = metadata.ReadOutputAs<OffboardingOutcome>();
                if (offboarding is { Status: OnboardingStatus.Offboarded })
                {
                    return Results.Json(new OnboardingResult(
                        instanceId, offboarding.Status.ToString(), offboarding.Sandbox, offboarding.AccountName, offboarding.ConnectionId, null,
                        null, ActionOf(offboarding.Deletion), null, null, null, offboarding.CompletedAt));
                }

                return Problems.OnboardingFailed(instanceId, offboarding?.ErrorCode ?? "Unknown", offboarding?.ErrorMessage ?? "The onboarding failed.");
            case OrchestrationRuntimeStatus.Completed:
                OnboardingOutcome? outcome = metadata.ReadOutputAs<OnboardingOutcome>();
                if (outcome is { Status: OnboardingStatus.Connected, ConnectionId: not null })
                {
                    return Results.Json(new OnboardingResult(
                        instanceId, outcome.Status.ToString(), outcome.Sandbox, outcome.AccountName, outcome.ConnectionId, outcome.Etag,
                        outcome.ConnectionName, outcome.Action?.ToString().ToLowerInvariant(), outcome.CredentialTestPassed, outcome.SecretVersion,
                        outcome.Warning, outcome.CompletedAt) { AdobeCanList = outcome.AdobeCanList });
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

    /// <summary>202 with a fresh signed status URL in <c>Location</c> and the body, plus <c>Retry-After</c>.</summary>
    public IResult Accepted(HttpRequest request, string instanceId, OrchestrationRuntimeStatus status)
    {
        string statusUrl = StatusUrl(instanceId);
        request.HttpContext.Response.Headers.RetryAfter = apiOptions.Value.StatusRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Results.Accepted(statusUrl, new OnboardingAccepted(instanceId, status.ToString(), statusUrl));
    }

    /// <summary>False until the status-token key is loaded: a handler must then answer <see cref="NotReady"/> and start nothing.</summary>
    public bool StatusUrlsReady => statusTokens.IsReady;

    /// <summary>503 with <c>Retry-After</c>: the status-token key cannot be read yet.</summary>
    public IResult NotReady(HttpRequest request)
    {
        request.HttpContext.Response.Headers.RetryAfter = apiOptions.Value.StatusRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Problems.NotReady();
    }

    public string StatusUrl(string instanceId) =>
        urls.Build($"{RoutePrefix}onboardings/{Uri.EscapeDataString(instanceId)}?token={Uri.EscapeDataString(statusTokens.Issue(instanceId))}");

    private static string? ActionOf(DeletionAction? deletion) => deletion switch
    {
        DeletionAction.Deleted => "deleted",
        DeletionAction.AlreadyGone => "alreadyDeleted",
        DeletionAction.NoConnection => "noConnection",
        _ => null,
    };

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && contentType.Contains("+json", StringComparison.OrdinalIgnoreCase)));
}
