using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace AdlsOnboarding.Benchmark;

/// <summary>
/// What users run otherwise (aepp-style): one IMS token, then one <c>POST /connections</c> per account, in sequence,
/// with no existence check and no retries. Timed on a sample against the same simulator and projected to N.
/// </summary>
internal static class SequentialClient
{
    public static async Task<(double SecondsPerAccount, double ProjectedSeconds)> MeasureAsync(Settings settings, int latencyMs)
    {
        int port = ProcessStats.FreePort();
        await using ChildProcess sim = ChildProcess.Start(settings.SimulatorDll, ["--port", port.ToString(), "--latencyMs", latencyMs.ToString()], new Dictionary<string, string>());
        Uri simBase = new($"http://127.0.0.1:{port}");
        await ProcessStats.WaitForHttpAsync(new Uri(simBase, "/_simulator/stats"), TimeSpan.FromSeconds(30));
        using HttpClient http = new() { BaseAddress = simBase };
        HttpResponseMessage tokenResponse = await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "sim-client-id", ["client_secret"] = "sim-client-secret", ["scope"] = "openid,AdobeID",
        }));
        string token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;

        Stopwatch watch = Stopwatch.StartNew();
        for (int i = 0; i < settings.SequentialSample; i++)
        {
            using HttpRequestMessage post = new(HttpMethod.Post, "/data/foundation/flowservice/connections")
            {
                Content = JsonContent.Create(new
                {
                    name = $"adls-gen2-seq{i:D5}",
                    auth = new { specName = "Basic Authentication for adls-gen2", @params = new { url = $"https://seq{i:D5}.dfs.core.windows.net", servicePrincipalId = "id", servicePrincipalKey = "key", tenant = "t" } },
                    connectionSpec = new { id = "b3ba5556-48be-44b7-8b85-ff2b69b46dc4", version = "1.0" },
                }),
            };
            post.Headers.Authorization = new("Bearer", token);
            post.Headers.Add("x-api-key", "sim-client-id");
            post.Headers.Add("x-gw-ims-org-id", "0123456789ABCDEF01234567@AdobeOrg");
            post.Headers.Add("x-sandbox-name", "prod");
            (await http.SendAsync(post)).EnsureSuccessStatusCode();
        }

        double perAccount = watch.Elapsed.TotalSeconds / settings.SequentialSample;
        return (perAccount, perAccount * settings.N);
    }
}
