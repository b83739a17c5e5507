using System.Net;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>
/// Behaves like the Logic Apps HTTP action with its defaults: the configured headers go with the first request only;
/// on 202 it waits <c>Retry-After</c>, polls <c>Location</c> with a plain GET and stops at the first non-202 answer;
/// 408, 429 and 5xx are retried with an exponential policy; any other non-2xx fails the action.
/// </summary>
public sealed class LogicAppsHttpAction(HttpClient http, int retryCount = 4, TimeSpan? retryInterval = null)
{
    private readonly TimeSpan _retryInterval = retryInterval ?? TimeSpan.FromMilliseconds(200);

    /// <summary>Each call: when it was sent, when its answer arrived, and the answer.</summary>
    public List<(DateTimeOffset At, DateTimeOffset AnsweredAt, string Method, string Url, int Status)> Calls { get; } = [];

    public async Task<(bool Succeeded, ApiResponse Final)> RunAsync(string url, string body, Dictionary<string, string> headers, TimeSpan timeout)
    {
        DateTimeOffset deadline = DateTimeOffset.UtcNow + timeout;
        HttpResponseMessage response = await SendWithRetriesAsync(() =>
        {
            HttpRequestMessage request = new(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            foreach ((string name, string value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            return request;
        });

        while (response.StatusCode == HttpStatusCode.Accepted && DateTimeOffset.UtcNow < deadline)
        {
            Uri location = response.Headers.Location ?? throw new InvalidOperationException("202 without Location");
            TimeSpan wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(20);
            response.Dispose();
            await Task.Delay(wait);
            response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, location));
        }

        ApiResponse final = await LocalHostHarness.ToApiResponseAsync(response);
        return (final.Status is >= 200 and < 300 and not 202, final);
    }

    private async Task<HttpResponseMessage> SendWithRetriesAsync(Func<HttpRequestMessage> create)
    {
        for (int attempt = 0; ; attempt++)
        {
            using HttpRequestMessage request = create();
            DateTimeOffset sent = DateTimeOffset.UtcNow;
            HttpResponseMessage response = await http.SendAsync(request);
            Calls.Add((sent, DateTimeOffset.UtcNow, request.Method.Method, request.RequestUri!.ToString(), (int)response.StatusCode));
            bool retriable = response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
            if (!retriable || attempt == retryCount)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(_retryInterval * Math.Pow(2, attempt));
        }
    }
}
