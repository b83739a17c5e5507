using AdlsOnboarding.Simulator.Adobe;

namespace AdlsOnboarding.Simulator;

/// <summary>
/// <c>/_simulator/*</c>: inspect the simulated Adobe side and change its knobs while it runs (latency, fault rate,
/// scripted faults, token expiry). Loopback only, like the rest of the simulator.
/// </summary>
public static class SimulatorControlEndpoints
{
    public static WebApplication MapSimulatorControl(this WebApplication app, SimulatorState state)
    {
        RouteGroupBuilder control = app.MapGroup("/_simulator");
        control.MapGet("/connections", () => Results.Json(state.Connections.Select(c => new
        {
            c.Id, c.Sandbox, c.Name, c.ConnectionSpecId, url = c.Auth.Url, servicePrincipalId = c.Auth.ServicePrincipalId, tenant = c.Auth.Tenant, c.Etag, c.CreatedAt, c.UpdateCount, c.Deleted,
        })));
        control.MapGet("/stats", () => Results.Json(new
        {
            calls = state.Calls.Count(c => c.Operation != SimulatedOperation.Token),
            tokenCalls = state.Calls.Count(c => c.Operation == SimulatedOperation.Token),
            throttled = state.Calls.Count(c => c.Status == 429),
            connections = state.Connections.Count(c => !c.Deleted),
            distinctAccounts = state.Connections.Where(c => !c.Deleted).Select(c => c.Auth.Url).Distinct().Count(),
            state.PeakConcurrentCalls,
        }));
        control.MapGet("/calls", () => Results.Json(state.Calls.Select(c => new { c.ReceivedAt, operation = c.Operation.ToString(), c.Method, c.Path, c.Sandbox, c.Status })));
        control.MapPost("/knobs", (KnobsRequest knobs) =>
        {
            if (knobs.LatencyMs is { } latency)
            {
                state.Latency = TimeSpan.FromMilliseconds(latency);
            }

            if (knobs.CreateFaultRate is { } rate)
            {
                state.CreateFaultRate = Math.Clamp(rate, 0, 1);
            }

            if (knobs.RateLimitPerSecond is { } limit)
            {
                state.RateLimitPerSecond = Math.Max(0, limit);
            }

            return Results.Json(new { latencyMs = state.Latency.TotalMilliseconds, createFaultRate = state.CreateFaultRate, rateLimitPerSecond = state.RateLimitPerSecond, peakConcurrentCalls = state.PeakConcurrentCalls });
        });
        control.MapPost("/faults/{operation}", (SimulatedOperation operation, SimulatedFault fault) =>
        {
            state.EnqueueFault(operation, fault);
            return Results.NoContent();
        });
        control.MapPost("/explore", (ExploreKnob knob) =>
        {
            state.SetExploreRefusal(knob.Url, knob.Refusal);
            return Results.NoContent();
        });
        control.MapPost("/expire-tokens", () =>
        {
            state.ExpireAllTokens();
            return Results.NoContent();
        });
        control.MapPost("/reset", () =>
        {
            state.Reset();
            return Results.NoContent();
        });
        return app;
    }

    public sealed record KnobsRequest(double? LatencyMs, double? CreateFaultRate, int? RateLimitPerSecond);

    /// <summary>Adobe cannot list <see cref="Url"/>: the storage error code it meets (e.g. <c>AuthorizationFailure</c>), or null to list again.</summary>
    public sealed record ExploreKnob(string Url, string? Refusal);
}
