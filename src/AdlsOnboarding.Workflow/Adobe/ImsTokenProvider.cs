using System.Net.Http.Json;
using System.Text.Json.Serialization;
using AdlsOnboarding.Workflow.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// Adobe IMS OAuth Server-to-Server access tokens (<c>client_credentials</c> on <c>/ims/token/v3</c>). One token is
/// shared by the whole process and renewed a margin before <c>expires_in</c>, or at once after a gateway 401. The
/// client secret is read from the app's own secret store (<see cref="AppSecrets"/>), never the service principal keys'.
/// Thread-safe; registered once.
/// </summary>
public sealed class ImsTokenProvider(
    IHttpClientFactory httpClientFactory,
    IOptions<AdobeOptions> options,
    [FromKeyedServices(AppSecrets.Key)] ISecretStore secrets,
    TimeProvider time,
    Telemetry.WorkflowMetrics metrics,
    ILogger<ImsTokenProvider> logger)
{
    public const string HttpClientName = "Adobe.Ims";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private CachedToken? _cached;
    private volatile bool _rejected;

    /// <summary>Returns a valid token, from the cache when it is fresh enough.</summary>
    public async Task<SensitiveString> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        CachedToken? cached = _cached;
        if (cached is not null && cached.RenewAt > time.GetUtcNow())
        {
            return cached.Token;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cached = _cached;
            if (cached is not null && cached.RenewAt > time.GetUtcNow())
            {
                return cached.Token;
            }

            metrics.TokenRequested(cached is null ? (_rejected ? "rejected" : "first") : "expiry");
            _rejected = false;
            _cached = await RequestTokenAsync(cancellationToken).ConfigureAwait(false);
            return _cached.Token;
        }
        finally
        {
            _gate.Release();
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

    private async Task<CachedToken> RequestTokenAsync(CancellationToken cancellationToken)
    {
        using System.Diagnostics.Activity? span = Telemetry.WorkflowTelemetry.Source.StartActivity("IMS token", System.Diagnostics.ActivityKind.Client);
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
            throw AdobeServiceException.FromTransportFailure("IMS token request", ex, timedOut: ex is OperationCanceledException);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                AdobeServiceException failure = AdobeServiceException.FromResponse("IMS token request", response.StatusCode, body, RetryAfter.From(response, time));
                Logs.ImsTokenFailed(logger, (int)response.StatusCode, failure.Code);
                throw failure;
            }

            ImsTokenResponse? token = await response.Content.ReadFromJsonAsync<ImsTokenResponse>(cancellationToken).ConfigureAwait(false);
            if (token is null || string.IsNullOrEmpty(token.AccessToken) || token.ExpiresIn <= 0)
            {
                throw new AdobeServiceException("IMS token request", (int)response.StatusCode, "ImsInvalidResponse", "the token response has no access_token or expires_in", isTransient: true, retryAfter: null, requestMayHaveSucceeded: false);
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
