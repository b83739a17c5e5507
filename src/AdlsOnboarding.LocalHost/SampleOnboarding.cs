using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AdlsOnboarding.Workflow.Storage;
using Azure.Data.Tables;

namespace AdlsOnboarding.LocalHost;

/// <summary>
/// Onboards the sample accounts through the public HTTP API, as any caller would (POST, then poll the status URL),
/// and prints each connection id and the account's stored Table row.
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
        int failures = 0;
        foreach (JsonElement sample in samples)
        {
            failures += await OnboardAsync(http, table, sample) ? 0 : 1;
        }

        Console.WriteLine(failures == 0 ? $"All {samples.Length} sample account(s) onboarded." : $"{failures} of {samples.Length} sample account(s) failed.");
        return failures == 0 ? 0 : 1;
    }

    private static async Task<bool> OnboardAsync(HttpClient http, TableClient table, JsonElement sample)
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
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        using JsonDocument result = JsonDocument.Parse(body);
        string sandbox = result.RootElement.GetProperty("sandbox").GetString()!;
        string accountName = result.RootElement.GetProperty("accountName").GetString()!;
        Console.WriteLine($"  Connection id: {result.RootElement.GetProperty("connectionId").GetString()} ({result.RootElement.GetProperty("action").GetString()})");
        TableEntity row = (await table.GetEntityAsync<TableEntity>(sandbox, accountName)).Value;
        Console.WriteLine($"  Table row {table.Name}({sandbox}, {accountName}):");
        foreach ((string name, object value) in row.Where(p => p.Key != "odata.etag").OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"    {name,-22} {value}");
        }

        return true;
    }

    private static string? Option(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
