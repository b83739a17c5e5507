using AdlsOnboarding.LocalHost.Durable;
using AdlsOnboarding.Workflow.Rotation;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.LocalHost;

/// <summary>
/// The local host's reader of the Key Vault events queue (the Functions app uses a queue trigger): the same queue
/// name setting and the same <see cref="SecretEventHandler"/>; a message that fails five times moves to
/// <c>&lt;queue&gt;-poison</c>, as the Functions host does.
/// </summary>
internal sealed class KeyVaultEventsQueueService(
    SecretEventHandler handler,
    DurableTaskClient client,
    IConfiguration configuration,
    IOptions<DurableStorageOptions> storage,
    ILogger<KeyVaultEventsQueueService> logger) : BackgroundService
{
    private const int MaxDequeueCount = 5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string queueName = configuration[RotationSettings.QueueSetting] ?? RotationSettings.DefaultQueueName;
        if (string.IsNullOrEmpty(storage.Value.StorageConnectionString) || queueName.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        QueueClient queue = new(storage.Value.StorageConnectionString, queueName);
        QueueClient poison = new(storage.Value.StorageConnectionString, queueName + "-poison");
        await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
        TimeSpan idle = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await queue.ReceiveMessagesAsync(maxMessages: 16, visibilityTimeout: TimeSpan.FromMinutes(1), stoppingToken).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException ex)
            {
                logger.LogWarning(ex, "Reading the Key Vault events queue failed");
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(false);
                continue;
            }

            foreach (QueueMessage message in messages)
            {
                try
                {
                    await handler.HandleAsync(client, message.Body.ToString(), stoppingToken).ConfigureAwait(false);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Handling a Key Vault event failed (attempt {DequeueCount})", message.DequeueCount);
                    if (message.DequeueCount >= MaxDequeueCount)
                    {
                        await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                        await poison.SendMessageAsync(message.Body, cancellationToken: stoppingToken).ConfigureAwait(false);
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken).ConfigureAwait(false);
                    }
                }
            }

            if (messages.Length == 0)
            {
                await Task.Delay(idle, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
