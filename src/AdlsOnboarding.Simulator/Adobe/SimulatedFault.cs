namespace AdlsOnboarding.Simulator.Adobe;

/// <summary>Operations of the simulated Flow Service and IMS that faults can target.</summary>
public enum SimulatedOperation
{
    Token,
    Create,
    List,
    Read,
    Update,
    Delete,
    Test,
    Explore,
}

/// <summary>What a fault does to one request.</summary>
public enum FaultKind
{
    /// <summary>
    /// Answer with <see cref="SimulatedFault.Status"/> (and Retry-After if set) without doing anything, after
    /// <see cref="SimulatedFault.Delay"/> if one is set.
    /// </summary>
    Status,

    /// <summary>Carry the request out, then answer with <see cref="SimulatedFault.Status"/>: a create that happened but looks failed.</summary>
    CommitThenStatus,

    /// <summary>Drop the connection without an answer.</summary>
    Reset,

    /// <summary>Carry the request out, then drop the connection.</summary>
    CommitThenReset,

    /// <summary>Carry the request out, then hold the answer for <see cref="SimulatedFault.Delay"/> (client times out).</summary>
    CommitThenHang,

    /// <summary>Hold the request for <see cref="SimulatedFault.Delay"/>, then carry it out normally.</summary>
    Delay,

    /// <summary>
    /// Answer with <see cref="SimulatedFault.Status"/>, doing nothing, with the request body quoted in the error's
    /// <c>detailed-message</c>, as validation errors of many APIs quote the offending input.
    /// </summary>
    EchoRequest,
}

/// <summary>One injected fault; <c>Retry-After</c> in seconds or, with <paramref name="RetryAfterDate"/>, as an HTTP date.</summary>
public sealed record SimulatedFault(FaultKind Kind, int Status = 503, int? RetryAfterSeconds = null, TimeSpan? Delay = null, string? Code = null, DateTimeOffset? RetryAfterDate = null)
{
    public static SimulatedFault Throttle(int retryAfterSeconds) => new(FaultKind.Status, 429, retryAfterSeconds);

    public static SimulatedFault Unavailable(int? retryAfterSeconds = null) => new(FaultKind.Status, 503, retryAfterSeconds);
}
