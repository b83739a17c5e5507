using System.Diagnostics;
using System.Net.Security;
using AdlsOnboarding.Workflow.Telemetry;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Preflight;

/// <summary>
/// Proves, with the key about to be sent to Adobe, that the service principal can sign in
/// (<see cref="ClientSecretCredential"/>, scope <c>https://storage.azure.com/.default</c>) and list the account's
/// containers (<see cref="BlobServiceClient"/>, one page of one). The key goes only into the credential; container
/// names are never read. No retries here: failures go back to the durable retry, classified. Thread-safe; one
/// instance per host.
/// A successful sign-in is reused (<see cref="SignInCache"/>) by later checks with the same authority, tenant, client
/// id and key value while its token is well within its lifetime; the listing runs for every account. If an account
/// answers 401 to a reused token, the entry is dropped and the check signs in afresh once and lists again.
/// </summary>
public sealed class PreflightChecker(IOptions<PreflightOptions> options, TimeProvider time, ILogger<PreflightChecker> logger) : IPreflightChecker, IDisposable
{
    public const string StorageScope = "https://storage.azure.com/.default";

    private readonly Lazy<HttpPipelineTransport?> _transport = new(() => CreateTransport(options.Value));
    private readonly SignInCache _signIns = new(time);

    public async Task<PreflightResult> CheckAsync(PreflightRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        PreflightOptions settings = options.Value;
        if (!settings.Enabled)
        {
            Logs.PreflightSkipped(logger, request.Account);
            return PreflightResult.Skipped;
        }

        if (request.Account.Length == 0 || !request.Account.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            // Defence in depth: only a bare account name may go into the endpoint template, and nothing is sent otherwise.
            PreflightException invalid = PreflightFailures.InvalidRequest("the account name must be lowercase letters and digits");
            Logs.PreflightFailed(logger, request.Account, request.ClientId, invalid.Code, invalid.IsTransient);
            throw invalid;
        }

        using Activity? span = WorkflowTelemetry.Source.StartActivity("Preflight", ActivityKind.Internal);
        span?.SetTag("adls.account", request.Account);
        try
        {
            SignInCache.Key signIn = SignInCache.KeyFor(settings.AuthorityHost, request.Tenant, request.ClientId, request.Key);
            bool reused = _signIns.TryGet(signIn, out AccessToken token);
            if (reused)
            {
                Logs.PreflightReusedSignIn(logger, request.Account, request.ClientId);
            }
            else
            {
                token = await SignInAndKeepAsync(signIn, request, settings, cancellationToken).ConfigureAwait(false);
            }

            PreflightResult? listed = await ListOnePageAsync(request, settings, token, reused, cancellationToken).ConfigureAwait(false);
            if (listed is null)
            {
                // The account no longer accepts the reused token (revoked, or Entra's keys rolled): sign in afresh,
                // once, and let the listing's answer to the new token decide, as for any fresh sign-in.
                _signIns.Evict(signIn, token);
                Logs.PreflightReusedTokenRefused(logger, request.Account, request.ClientId);
                token = await SignInAndKeepAsync(signIn, request, settings, cancellationToken).ConfigureAwait(false);
                listed = await ListOnePageAsync(request, settings, token, tokenWasReused: false, cancellationToken).ConfigureAwait(false);
            }

            PreflightResult result = listed ?? throw new InvalidOperationException("A listing with a fresh token always has an outcome.");
            if (result.Warning is { } warning)
            {
                Logs.PreflightWarned(logger, request.Account, request.ClientId, warning.Code);
                span?.SetTag("adls.preflight.warning", warning.Code);
            }
            else
            {
                Logs.PreflightPassed(logger, request.Account, request.ClientId);
            }

            return result;
        }
        catch (PreflightException ex)
        {
            Logs.PreflightFailed(logger, request.Account, request.ClientId, ex.Code, ex.IsTransient);
            span?.SetTag("adls.preflight.error_code", ex.Code);
            span?.SetStatus(ActivityStatusCode.Error, ex.Code);
            throw;
        }
    }

    /// <summary>Signs in; a successful sign-in is kept for later checks with the same key (a failure never is).</summary>
    private async Task<AccessToken> SignInAndKeepAsync(SignInCache.Key signIn, PreflightRequest request, PreflightOptions settings, CancellationToken cancellationToken)
    {
        AccessToken token = await SignInAsync(request, settings, cancellationToken).ConfigureAwait(false);
        _signIns.Store(signIn, token);
        return token;
    }

    private async Task<AccessToken> SignInAsync(PreflightRequest request, PreflightOptions settings, CancellationToken cancellationToken)
    {
        ClientSecretCredentialOptions credentialOptions = new()
        {
            AuthorityHost = settings.AuthorityHost,

            // The authority comes from validated configuration, not from a server's challenge, so MSAL's instance
            // discovery (a call to login.microsoftonline.com) adds nothing but a request that must reach the internet.
            DisableInstanceDiscovery = true,
            Retry = { MaxRetries = 0, NetworkTimeout = settings.RequestTimeout },
        };
        if (_transport.Value is { } transport)
        {
            credentialOptions.Transport = transport;
        }

        ClientSecretCredential credential;
        try
        {
            credential = new ClientSecretCredential(request.Tenant, request.ClientId, request.Key.Reveal(), credentialOptions);
        }
        catch (ArgumentException)
        {
            throw PreflightFailures.InvalidRequest($"'{request.Tenant}' is not a tenant id or domain name that Entra ID accepts, or the client id is empty");
        }

        try
        {
            return await credential.GetTokenAsync(new TokenRequestContext([StorageScope]), cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationFailedException ex)
        {
            throw PreflightFailures.SignIn(ex, request, KeyAge(request), settings.NewKeyGracePeriod);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw PreflightFailures.TimedOut("Entra ID");
        }
    }

    /// <summary>
    /// One page of the account's containers with <paramref name="token"/>. Null only when the token was reused and the
    /// account answered 401 (it no longer accepts it); a 401 to a fresh token is <c>PreflightTokenRejected</c>.
    /// </summary>
    private async Task<PreflightResult?> ListOnePageAsync(PreflightRequest request, PreflightOptions settings, AccessToken token, bool tokenWasReused, CancellationToken cancellationToken)
    {
        BlobClientOptions clientOptions = new() { Retry = { MaxRetries = 0, NetworkTimeout = settings.RequestTimeout } };
        if (_transport.Value is { } transport)
        {
            clientOptions.Transport = transport;
        }

        // The token as issued (just now, or to an earlier check with the same key): the listing proves what that
        // sign-in obtained, with no second sign-in.
        BlobServiceClient service = new(settings.BlobEndpointFor(request.Account), new IssuedToken(token), clientOptions);
        try
        {
            await foreach (Page<BlobContainerItem> page in service.GetBlobContainersAsync(cancellationToken: cancellationToken).AsPages(pageSizeHint: 1).ConfigureAwait(false))
            {
                // One answered page is the proof; its content (container names) is not looked at.
                break;
            }

            return PreflightResult.Passed;
        }
        catch (RequestFailedException ex) when (ex.Status == 401 && tokenWasReused)
        {
            return null;
        }
        catch (RequestFailedException ex)
        {
            return PreflightFailures.Listing(ex, request) is { } failure
                ? throw failure
                : PreflightResult.WithWarning(PreflightFailures.NetworkRulesRefusedUs(request));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw PreflightFailures.TimedOut($"storage account {request.Account}");
        }
    }

    private TimeSpan? KeyAge(PreflightRequest request) =>
        request.KeyVersionCreatedOn is { } created ? time.GetUtcNow() - created : null;

    /// <summary>
    /// With a stand-in on loopback (tests, local runs), trust its certificate by thumbprint, for loopback hosts only;
    /// otherwise the SDK's default transport and certificate validation.
    /// </summary>
    private static HttpClientTransport? CreateTransport(PreflightOptions settings)
    {
        if (string.IsNullOrEmpty(settings.LoopbackCertificateThumbprint))
        {
            return null;
        }

        string thumbprint = settings.LoopbackCertificateThumbprint;
        return new HttpClientTransport(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (message, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (message.RequestUri?.IsLoopback == true && string.Equals(certificate?.Thumbprint, thumbprint, StringComparison.OrdinalIgnoreCase)),
        });
    }

    public void Dispose()
    {
        if (_transport.IsValueCreated)
        {
            (_transport.Value as IDisposable)?.Dispose();
        }
    }

    /// <summary>Hands the blob client the token the sign-in obtained.</summary>
    private sealed class IssuedToken(AccessToken token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => token;

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => ValueTask.FromResult(token);
    }
}
