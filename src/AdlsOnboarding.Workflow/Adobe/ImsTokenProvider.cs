using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// Adobe IMS OAuth Server-to-Server access tokens (<c>client_credentials</c> on <c>/ims/token/v3</c>). One token is
/// shared by the whole process and renewed a margin before <c>expires_in</c>, or at once after a gateway 401. The
/// client secret is read from the app's own secret store (<see cref="AppSecrets"/>), never the service principal keys'.
/// One request at a time: callers that need a token while it runs wait for that request and share its result, token
/// or failure, rather than each asking IMS again in turn. An IMS 429 (or 503 with <c>Retry-After</c>) pauses token
/// requests like a Flow Service 429 pauses calls: waited out in process up to
/// <see cref="AdobeOptions.MaxInProcessPauseSeconds"/>, longer ones left to the durable retry. Thread-safe; registered once.
/// </summary>
public sealed class ImsTokenProvider(
    IHttpClientFactory httpClientFactory,
    IOptions<AdobeOptions> options,
    [FromKeyedServices(AppSecrets.Key)] ISecretStore secrets,
    TimeProvider time,
    WorkflowMetrics metrics,
    ILogger<ImsTokenProvider> logger)
{
    public const string HttpClientName = "Adobe.Ims";

    private const string Operation = "IMS token request";

    private readonly Lock _lock = new();
    private readonly RetryAfterPause _pause = new(time, Operation);
    private CachedToken? _cached;
    private Task<CachedToken>? _inFlight;
    private volatile bool _rejected;

    /// <summary>Returns a valid token, from the cache when it is fresh enough.</summary>
    public async Task<SensitiveString> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            CachedToken? cached = _cached;
            if (cached is not null && cached.RenewAt > time.GetUtcNow())
            {
                return cached.Token;
            }

            await _pause.WaitAsync(TimeSpan.FromSeconds(options.Value.MaxInProcessPauseSeconds), cancellationToken).ConfigureAwait(false);
            Task<CachedToken> request;
            lock (_lock)
            {
                cached = _cached;
                if (cached is not null && cached.RenewAt > time.GetUtcNow())
                {
                    return cached.Token;
                }

                if (_inFlight is null)
                {
                    if (_pause.Remaining > TimeSpan.Zero)
                    {
                        // A 429 arrived since this caller looked: wait it out (or hand it back) first.
                        continue;
                    }

                    metrics.TokenRequested(cached is null ? (_rejected ? "rejected" : "first") : "expiry");
                    _rejected = false;
                    _inFlight = RequestSharedAsync();
                }

                request = _inFlight;
            }

            // The request is shared, so it is not cancelled with this caller; its own timeout bounds it.
            return (await request.WaitAsync(cancellationToken).ConfigureAwait(false)).Token;
        }
    }

    /// <summary>Drops <paramref name="rejected"/> from the cache (the gateway said it is invalid); a newer token stays.</summary>
    public void Invalidate(SensitiveString rejected)
    {
        CachedToken? cached = _cached;
        if (cached is not null && ReferenceEquals(cached.Token, rejected))
        {
            Interlocked.CompareExchange(ref _cached, null, cached);
            _rejected = true;
            Logs.ImsTokenInvalidated(logger);
        }
    }

    private async Task<CachedToken> RequestSharedAsync()
    {
        // Leave the caller's lock before any I/O.
        await Task.Yield();
        try
        {
            CachedToken token = await RequestTokenAsync(CancellationToken.None).ConfigureAwait(false);
            _cached = token;
            return token;
        }
        finally
        {
            lock (_lock)
            {
                _inFlight = null;
            }
        }
    }

    private async Task<CachedToken> RequestTokenAsync(CancellationToken cancellationToken)
    {
        using Activity? span = WorkflowTelemetry.Source.StartActivity("IMS token", ActivityKind.Client);
        AdobeOptions settings = options.Value;
        SecretVersionInfo version = await secrets.ResolveVersionAsync(settings.ClientSecretName, null, cancellationToken).ConfigureAwait(false);
        SensitiveString clientSecret = await secrets.GetValueAsync(settings.ClientSecretName, version.Version, cancellationToken).ConfigureAwait(false);

        using FormUrlEncodedContent form = new(
        [
            new("grant_type", "client_credentials"),
            new("client_id", settings.ClientId),
            new("client_secret", clientSecret.Reveal()),
            new("scope", settings.Scopes),
        ]);

        HttpClient http = httpClientFactory.CreateClient(HttpClientName);
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(settings.ImsTokenUrl, form, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw AdobeServiceException.FromTransportFailure(Operation, ex, timedOut: ex is OperationCanceledException);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                AdobeServiceException failure = AdobeServiceException.FromResponse(Operation, response.StatusCode, body, RetryAfter.From(response, time));
                Logs.ImsTokenFailed(logger, (int)response.StatusCode, failure.Code);
                if (response.StatusCode == HttpStatusCode.TooManyRequests || (response.StatusCode == HttpStatusCode.ServiceUnavailable && failure.RetryAfter is not null))
                {
                    // Throttling concerns every caller: no token request goes out until IMS's Retry-After has passed.
                    _pause.Pause(failure.RetryAfter ?? TimeSpan.FromSeconds(1), failure.Code);
                }

                throw failure;
            }

            ImsTokenResponse? token = await response.Content.ReadFromJsonAsync<ImsTokenResponse>(cancellationToken).ConfigureAwait(false);
            if (token is null || string.IsNullOrEmpty(token.AccessToken) || token.ExpiresIn <= 0)
            {
                throw new AdobeServiceException(Operation, (int)response.StatusCode, "ImsInvalidResponse", "the token response has no access_token or expires_in", isTransient: true, retryAfter: null, requestMayHaveSucceeded: false);
            }

            DateTimeOffset now = time.GetUtcNow();
            TimeSpan lifetime = TimeSpan.FromSeconds(token.ExpiresIn);
            TimeSpan margin = settings.TokenRefreshMargin < lifetime / 2 ? settings.TokenRefreshMargin : lifetime / 2;
            Logs.ImsTokenIssued(logger, token.ExpiresIn);
            return new CachedToken(new SensitiveString(token.AccessToken), now + lifetime - margin);
        }
    }

    private sealed record CachedToken(SensitiveString Token, DateTimeOffset RenewAt);

    private sealed record ImsTokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("token_type")] string? TokenType,
        [property: JsonPropertyName("expires_in")] long ExpiresIn);
}
