using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Preflight;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.DurableTask.Worker;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// Puts each client's classification of its failure on <c>TaskFailureDetails.Properties</c>
/// (<see cref="ClassifiedFailure.ToProperties"/>), where <see cref="DurableRetry"/> and the orchestrators read it.
/// The Durable Task worker calls this for every exception an activity throws; other exceptions get no properties and
/// count as unexpected.
/// </summary>
public sealed class FailurePropertiesProvider : IExceptionPropertiesProvider
{
    public IDictionary<string, object?>? GetExceptionProperties(Exception exception) => Classify(exception)?.ToProperties();

    public static ClassifiedFailure? Classify(Exception exception) => exception switch
    {
        AdobeServiceException adobe => new(adobe.Code, adobe.Detail, adobe.IsTransient, adobe.RetryAfter),
        SecretStoreException secret => new(secret.Code, secret.Detail, secret.IsTransient, secret.RetryAfter),
        AccountStoreException table => new(AccountStoreException.ErrorCode, table.Detail, table.IsTransient, RetryAfter: null),
        PreflightException preflight => new(preflight.Code, preflight.OperatorMessage, preflight.IsTransient, preflight.RetryAfter),
        ActivityHandOverException handOver => new(ActivityHandOverException.ErrorCode, handOver.Detail, IsTransient: true, handOver.RetryAfter),
        OnboardingFailureException workflow => new(workflow.Code, workflow.Detail, workflow.IsTransient, workflow.RetryAfter),
        _ => null,
    };
}
