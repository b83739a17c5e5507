using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AdlsOnboarding.Workflow.Telemetry;

/// <summary>
/// The workflow's traces and metrics (System.Diagnostics, exported by each host's OpenTelemetry setup). One trace per
/// onboarding: the W3C <c>traceparent</c> of the start travels in the orchestration input to every activity, so the
/// trace holds together on any durable backend and across host restarts.
/// </summary>
public static class WorkflowTelemetry
{
    public const string Name = "AdlsOnboarding";

    public static readonly ActivitySource Source = new(Name, "1.0.0");

    /// <summary>
    /// Starts a span under the onboarding's trace, whatever span the host made current (the trace context carried in
    /// the input is the one that holds the onboarding together); without one, under the current span.
    /// </summary>
    public static Activity? StartSpan(string name, string? traceParent, ActivityKind kind = ActivityKind.Internal)
    {
        if (traceParent is not null && ActivityContext.TryParse(traceParent, null, out ActivityContext parent))
        {
            return Source.StartActivity(name, kind, parent);
        }

        return Source.StartActivity(name, kind);
    }

    /// <summary>The 32-hex trace id of a W3C traceparent, for the account record.</summary>
    public static string? TraceIdOf(string? traceParent) =>
        traceParent is { Length: >= 55 } && traceParent[2] == '-' ? traceParent[3..35] : null;
}

/// <summary>The workflow's metrics: onboardings, attempts, Adobe's latency and throttling, token refreshes, backlog.</summary>
public sealed class WorkflowMetrics
{
    private readonly Counter<long> _started;
    private readonly Counter<long> _completed;
    private readonly Histogram<int> _attempts;
    private readonly Histogram<double> _flowServiceDuration;
    private readonly Counter<long> _throttled;
    private readonly Histogram<double> _retryAfterWait;
    private readonly Counter<long> _tokenRefreshes;
    private readonly Counter<long> _registrationInvalid;
    private readonly Counter<long> _onboardingTerminated;
    private readonly Counter<long> _sweepRecordFailed;
    private int _backlog;

    public WorkflowMetrics(IMeterFactory meters)
    {
        Meter meter = meters.Create(WorkflowTelemetry.Name, "1.0.0");
        _started = meter.CreateCounter<long>("adls.onboarding.started", "{onboarding}", "Onboardings started (by sandbox and trigger).");
        _completed = meter.CreateCounter<long>("adls.onboarding.completed", "{onboarding}", "Onboardings ended (by sandbox, status and Adobe error code).");
        _attempts = meter.CreateHistogram<int>("adls.onboarding.attempts", "{attempt}", "Create-connection attempts per finished onboarding.");
        _flowServiceDuration = meter.CreateHistogram<double>("adls.flowservice.duration", "ms", "Flow Service call latency (by operation and status).");
        _throttled = meter.CreateCounter<long>("adls.flowservice.throttled", "{response}", "429 answers from Adobe.");
        _retryAfterWait = meter.CreateHistogram<double>("adls.flowservice.retry_after.wait", "s", "Time calls waited for a Retry-After to pass.");
        _tokenRefreshes = meter.CreateCounter<long>("adls.ims.token.refreshes", "{token}", "IMS tokens requested (by reason).");
        _registrationInvalid = meter.CreateCounter<long>("adls.registry.invalid", "{account}", "Accounts a sweep found that it cannot act on as registered (by reason: the failing fields, or SecretUnavailable), counted at each sweep until an operator acts.");
        _onboardingTerminated = meter.CreateCounter<long>("adls.registry.terminated", "{account}", "Accounts whose onboarding an operator terminated, put on hold by a sweep (by sandbox).");
        _sweepRecordFailed = meter.CreateCounter<long>("adls.registry.sweep.record_failures", "{account}", "Records a sweep could not process and went past (by stage).");
        meter.CreateObservableGauge("adls.registry.backlog", () => Volatile.Read(ref _backlog), "{account}", "Accounts due at the last registry sweep.");
    }

    public void Started(string sandbox, string? trigger) =>
        _started.Add(1, new("adls.sandbox", sandbox), new("adls.trigger", trigger ?? "Api"));

    public void Completed(string sandbox, string status, string? errorCode, int? attempts)
    {
        _completed.Add(1, new("adls.sandbox", sandbox), new("adls.status", status), new("adobe.error_code", errorCode ?? ""));
        if (attempts is { } count)
        {
            _attempts.Record(count, new KeyValuePair<string, object?>("adls.status", status));
        }
    }

    public void FlowServiceCalled(string operation, int status, double milliseconds)
    {
        _flowServiceDuration.Record(milliseconds, new("adobe.operation", operation), new("http.response.status_code", status));
        if (status == 429)
        {
            _throttled.Add(1, new KeyValuePair<string, object?>("adobe.operation", operation));
        }
    }

    public void WaitedForRetryAfter(TimeSpan wait) => _retryAfterWait.Record(wait.TotalSeconds);

    public void TokenRequested(string reason) => _tokenRefreshes.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RegistrationInvalid(string reason) => _registrationInvalid.Add(1, new KeyValuePair<string, object?>("adls.reason", reason));

    public void OnboardingTerminated(string sandbox) => _onboardingTerminated.Add(1, new KeyValuePair<string, object?>("adls.sandbox", sandbox));

    public void SweepRecordFailed(string stage) => _sweepRecordFailed.Add(1, new KeyValuePair<string, object?>("adls.stage", stage));

    public void Backlog(int due) => Volatile.Write(ref _backlog, due);
}
