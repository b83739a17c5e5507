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
/// </summary>
public sealed class PreflightChecker(IOptions<PreflightOptions> options, TimeProvider time, ILogger<PreflightChecker> logger) : IPreflightChecker, IDisposable
{
    public const string StorageScope = "https://storage.azure.com/.default";

    private readonly Lazy<HttpPipelineTransport?> _transport = new(() => CreateTransport(options.Value));

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
            AccessToken token = await SignInAsync(request, settings, cancellationToken).ConfigureAwait(false);
            PreflightResult result = await ListOnePageAsync(request, settings, token, cancellationToken).ConfigureAwait(false);
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

    private async Task<PreflightResult> ListOnePageAsync(PreflightRequest request, PreflightOptions settings, AccessToken token, CancellationToken cancellationToken)
    {
        BlobClientOptions clientOptions = new() { Retry = { MaxRetries = 0, NetworkTimeout = settings.RequestTimeout } };
        if (_transport.Value is { } transport)
        {
            clientOptions.Transport = transport;
        }

        // The token just issued, as is: the listing proves what that sign-in obtained, with no second sign-in.
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
