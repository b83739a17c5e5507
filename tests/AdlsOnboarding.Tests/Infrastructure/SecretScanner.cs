using System.IO.Compression;
using System.Text;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>
/// Looks for secret values everywhere a person or a system could read them afterwards: the task hub's history and
/// instance tables, its queues and blobs in Azurite, the app's table, the host's output, HTTP answers.
/// </summary>
public static class SecretScanner
{
    public sealed record Report(int ItemsScanned, List<string> Hits);

    public static async Task<Report> ScanAsync(string taskHub, string appTable, IEnumerable<string> texts, IReadOnlyCollection<string> secrets)
    {
        List<(string Where, string Text)> items = [.. texts.Select((t, i) => ($"text {i}", t))];
        TableServiceClient tables = new(Azurite.ConnectionString);
        await foreach (TableItem table in tables.QueryAsync())
        {
            if (table.Name.StartsWith(taskHub, StringComparison.OrdinalIgnoreCase) || table.Name == appTable)
            {
                await foreach (TableEntity entity in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
                {
                    items.Add(($"table {table.Name}", string.Join(";", entity.Select(p => $"{p.Key}={p.Value}"))));
                }
            }
        }

        QueueServiceClient queues = new(Azurite.ConnectionString);
        await foreach (QueueItem queue in queues.GetQueuesAsync(prefix: taskHub.ToLowerInvariant()))
        {
            foreach (PeekedMessage message in (await queues.GetQueueClient(queue.Name).PeekMessagesAsync(32)).Value)
            {
                items.Add(($"queue {queue.Name}", Decode(message.Body.ToArray())));
            }
        }

        BlobServiceClient blobs = new(Azurite.ConnectionString);
        await foreach (BlobContainerItem container in blobs.GetBlobContainersAsync(prefix: taskHub.ToLowerInvariant()))
        {
            BlobContainerClient client = blobs.GetBlobContainerClient(container.Name);
            await foreach (BlobItem blob in client.GetBlobsAsync())
            {
                byte[] content = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
                items.Add(($"blob {container.Name}/{blob.Name}", Decode(content)));
            }
        }

        List<string> hits = [.. from item in items
                                from secret in secrets
                                where secret.Length > 0 && item.Text.Contains(secret, StringComparison.Ordinal)
                                select $"{item.Where} contains a secret"];
        return new Report(items.Count, hits);
    }

    /// <summary>Text as stored: plain, base64 (queue messages) or gzip (large-message blobs).</summary>
    private static string Decode(byte[] content)
    {
        if (content.Length > 2 && content[0] == 0x1f && content[1] == 0x8b)
        {
            using GZipStream gzip = new(new MemoryStream(content), CompressionMode.Decompress);
            using StreamReader reader = new(gzip, Encoding.UTF8);
            return reader.ReadToEnd();
        }

        string text = Encoding.UTF8.GetString(content);
        try
        {
            return text + "\n" + Encoding.UTF8.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            return text;
        }
    }
}
