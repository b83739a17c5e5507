using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// One Flow Service call on the wire, after the gate (waiting there does not count): the per-request timeout, which
/// covers the whole response, body included; the call's log line and metric; and no response (a timeout, a reset) as
/// a transient <see cref="AdobeServiceException"/> that may have been carried out (<c>Timeout</c>, <c>NetworkError</c>).
/// Inside an activity, the call ends with the activity's budget.
/// </summary>
internal sealed class FlowServiceCallHandler(IOptions<AdobeOptions> options, WorkflowMetrics metrics, TimeProvider time, ILogger<FlowServiceClient> logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string operation = FlowServiceRequest.OperationOf(request);
        string sandbox = FlowServiceRequest.SandboxOf(request);
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Onboarding.ActivityBudget.CapCall(options.Value.RequestTimeout));
        long started = time.GetTimestamp();
        HttpResponseMessage? response = null;
        try
        {
            response = await base.SendAsync(request, timeout.Token).ConfigureAwait(false);
            await response.Content.LoadIntoBufferAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            response?.Dispose();
            Logs.FlowServiceNoResponse(logger, operation, sandbox, ex.GetType().Name);
            metrics.FlowServiceCalled(operation, 0, time.GetElapsedTime(started).TotalMilliseconds);
            throw AdobeServiceException.FromTransportFailure(operation, ex, timedOut: ex is OperationCanceledException);
        }

        double elapsed = time.GetElapsedTime(started).TotalMilliseconds;
        Logs.FlowServiceCalled(logger, operation, sandbox, (int)response.StatusCode, elapsed);
        metrics.FlowServiceCalled(operation, (int)response.StatusCode, elapsed);
        return response;
    }
}
