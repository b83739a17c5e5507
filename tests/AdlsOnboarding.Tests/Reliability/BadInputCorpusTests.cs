using System.Text.Json;
using AdlsOnboarding.Tests.Infrastructure;
using Azure.Data.Tables;
using Xunit.Abstractions;

namespace AdlsOnboarding.Tests.Reliability;

/// <summary>
/// Every malformed request of tests/…/Data/bad-requests.json, sent to the local host over HTTP: a 400 problem+json
/// naming the field, and nothing started, written or sent upstream.
/// </summary>
public sealed class BadInputCorpusTests(ITestOutputHelper output)
{
    private sealed record BadRequest(string Name, string Method, string Path, string? Body, string Field);

    [Fact]
    public async Task Corpus_EveryMalformedRequest_400NamingTheFieldAndNothingHappens()
    {
        BadRequest[] corpus = JsonSerializer.Deserialize<BadRequest[]>(
            await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Data", "bad-requests.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        Assert.True(corpus.Length >= 40, $"{corpus.Length} cases");
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync();
        List<string> failures = [];

        foreach (BadRequest bad in corpus)
        {
            using HttpRequestMessage request = new(new HttpMethod(bad.Method), bad.Path);
            if (bad.Body is not null)
            {
                request.Content = new StringContent(bad.Body, System.Text.Encoding.UTF8, "application/json");
            }

            ApiResponse response = await LocalHostHarness.ToApiResponseAsync(await harness.Http.SendAsync(request));
            bool named = response.Status == 400 && response.ContentType == "application/problem+json"
                && response.Json.TryGetProperty("errors", out JsonElement errors) && errors.TryGetProperty(bad.Field, out _);
            if (!named)
            {
                failures.Add($"{bad.Name}: {response.Status} {response.Body}");
            }
        }

        foreach (string failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.Empty(failures);
        Assert.Empty(harness.Adobe.State.Calls);
        TableServiceClient tables = new(Azurite.ConnectionString);
        Assert.Empty(await tables.GetTableClient(harness.TableName).QueryAsync<TableEntity>().ToListAsync().AsTask().ContinueWith(t => t.IsFaulted ? [] : t.Result));
        Assert.Empty(await tables.GetTableClient(harness.TaskHub + "Instances").QueryAsync<TableEntity>().ToListAsync());

        ReliabilityFigures.Write("bad-input", new { cases = corpus.Length, rejectedWith400NamingTheField = corpus.Length - failures.Count, upstreamCalls = harness.Adobe.State.Calls.Count, instancesStarted = 0, rowsWritten = 0 });
        output.WriteLine($"{corpus.Length} malformed requests, each rejected with 400 naming its field");
    }
}
