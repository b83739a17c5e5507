using System.Net;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// Passes every Flow Service request through the <see cref="AdobeTrafficGate"/> (concurrency, rate, a running pause),
/// and starts a pause for every sender when Adobe throttles (429) or is overloaded with a <c>Retry-After</c> (503).
/// The slot is held for the call only: a repeat after a token renewal queues again.
/// </summary>
internal sealed class AdobeTrafficGateHandler(AdobeTrafficGate gate, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using IDisposable slot = await gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            AdobeServiceException failure = AdobeServiceException.FromResponse(FlowServiceRequest.OperationOf(request), response.StatusCode, body, RetryAfter.From(response, time));
            if (response.StatusCode == HttpStatusCode.TooManyRequests || failure.RetryAfter is not null)
            {
                // Throttling or overload concerns every sender: hold all of this instance's calls back, not only this one.
                gate.Pause(failure.RetryAfter ?? TimeSpan.FromSeconds(1), failure.Code);
            }
        }

        return response;
    }
}
