using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdlsOnboarding.Workflow.Storage;
using Azure.Data.Tables;

namespace AdlsOnboarding.LocalHost;

/// <summary>
/// Onboards the sample accounts through the public HTTP API, as any caller would (POST, then poll the status URL),
/// and prints each connection id (or error code) and the account's stored Table row. Each sample is
/// <c>{"expect": {"status": "Connected"}, "request": {...}}</c> (or <c>{"status": "Failed", "errorCode": "..."}</c>);
/// the run succeeds when every sample ends as it expects. A bare request object expects <c>Connected</c>.
/// </summary>
public static class SampleOnboarding
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: onboard-samples <samples.json> [--api http://127.0.0.1:7071] [--key KEY]");
            return 2;
        }

        string file = args[0];
        string api = Option(args, "--api") ?? "http://127.0.0.1:7071";
        string? key = Option(args, "--key");
        IConfiguration configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddFunctionsLocalSettings(Path.Combine(Directory.GetCurrentDirectory(), "local.settings.json"))
            .AddEnvironmentVariables()
            .Build();
        AccountStoreOptions store = configuration.GetSection(AccountStoreOptions.Section).Get<AccountStoreOptions>() ?? new AccountStoreOptions();
        TableClient table = new(store.ConnectionString ?? "UseDevelopmentStorage=true", store.TableName);

        using HttpClient http = new() { BaseAddress = new Uri(api), Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        JsonElement[] samples = JsonSerializer.Deserialize<JsonElement[]>(await File.ReadAllTextAsync(file)) ?? [];
        int unexpected = 0;
        foreach (JsonElement sample in samples)
        {
            unexpected += await OnboardAsync(http, table, sample) ? 0 : 1;
        }

        Console.WriteLine(unexpected == 0
            ? $"All {samples.Length} sample account(s) ended as their sample file says."
            : $"{unexpected} of {samples.Length} sample account(s) did not end as their sample file says.");
        return unexpected == 0 ? 0 : 1;
    }

    private static async Task<bool> OnboardAsync(HttpClient http, TableClient table, JsonElement sample)
    {
        JsonElement request = sample.TryGetProperty("request", out JsonElement wrapped) ? wrapped : sample;
        string expectedStatus = "Connected";
        string? expectedCode = null;
        if (sample.TryGetProperty("expect", out JsonElement expect))
        {
            expectedStatus = expect.TryGetProperty("status", out JsonElement s) ? s.GetString() ?? expectedStatus : expectedStatus;
            expectedCode = expect.TryGetProperty("errorCode", out JsonElement c) ? c.GetString() : null;
        }

        (string? status, string? errorCode) = await OnboardOneAsync(http, table, request);
        bool asExpected = status == expectedStatus && (expectedCode is null || expectedCode == errorCode);
        string wanted = expectedStatus + (expectedCode is null ? "" : " " + expectedCode);
        Console.WriteLine(asExpected
            ? $"  As expected: {wanted}"
            : $"  NOT as expected: wanted {wanted}, got {status ?? "no end"}{(errorCode is null ? "" : " " + errorCode)}");
        return asExpected;
    }

    /// <summary>POSTs one request and polls to its end: the final status (Connected, Failed, ...) and error code, if any.</summary>
    private static async Task<(string? Status, string? ErrorCode)> OnboardOneAsync(HttpClient http, TableClient table, JsonElement sample)
    {
        string account = sample.GetProperty("storageAccountUrl").GetString() ?? "?";
        Console.WriteLine($"POST /api/onboardings  {account}");
        HttpResponseMessage response = await http.PostAsync("/api/onboardings", JsonContent.Create(sample));
        Console.WriteLine($"  -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        DateTimeOffset deadline = DateTimeOffset.UtcNow.AddMinutes(3);
        while (response.StatusCode == HttpStatusCode.Accepted && DateTimeOffset.UtcNow < deadline)
        {
            TimeSpan wait = response.Headers.RetryAfter?.Delta is { } delta && delta < TimeSpan.FromSeconds(2) ? delta : TimeSpan.FromSeconds(1);
            Uri location = response.Headers.Location!;
            await Task.Delay(wait);
            response = await http.GetAsync(location);
        }

        string body = await response.Content.ReadAsStringAsync();
        Console.WriteLine($"  status -> {(int)response.StatusCode} {body}");
        using JsonDocument result = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
        (string? status, string? errorCode) = (int)response.StatusCode switch
        {
            200 => (result.RootElement.GetProperty("status").GetString(), null),
            422 => ("Failed", result.RootElement.TryGetProperty("errorCode", out JsonElement code) ? code.GetString() : null),
            _ => ((string?)null, (string?)null),
        };
        if (status == "Connected")
        {
            Console.WriteLine($"  Connection id: {result.RootElement.GetProperty("connectionId").GetString()} ({result.RootElement.GetProperty("action").GetString()})");
        }

        string accountName = new Uri(account).Host.Split('.')[0];
        string sandbox = sample.TryGetProperty("sandbox", out JsonElement s) ? s.GetString() ?? "prod" : "prod";
        Azure.NullableResponse<TableEntity>? stored = status is null ? null : await table.GetEntityIfExistsAsync<TableEntity>(sandbox, accountName);
        if (stored is { HasValue: true, Value: { } row })
        {
            Console.WriteLine($"  Table row {table.Name}({sandbox}, {accountName}):");
            foreach ((string name, object value) in row.Where(p => p.Key != "odata.etag").OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                Console.WriteLine($"    {name,-22} {value}");
            }
        }

        return (status, errorCode);
    }

    private static string? Option(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
