using AdlsOnboarding.Workflow.Rotation;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace AdlsOnboarding.Functions;

/// <summary>
/// Key Vault secret events, delivered by Event Grid to the Storage queue named by the app setting
/// <c>KeyVaultEventsQueue</c>. A message that keeps failing goes to the poison queue after the host's retries.
/// </summary>
public sealed class KeyVaultEventsFunction(SecretEventHandler handler)
{
    [Function(nameof(HandleKeyVaultEvent))]
    public Task HandleKeyVaultEvent(
        [QueueTrigger("%" + RotationSettings.QueueSetting + "%", Connection = "AzureWebJobsStorage")] string message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        handler.HandleAsync(client, message, cancellationToken);
}
