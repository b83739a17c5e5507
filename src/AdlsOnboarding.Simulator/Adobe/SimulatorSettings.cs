namespace AdlsOnboarding.Simulator.Adobe;

/// <summary>Fixed settings of a simulator run (configuration section <c>Simulator</c>).</summary>
public sealed class SimulatorSettings
{
    public string ClientId { get; set; } = "sim-client-id";

    public string ClientSecret { get; set; } = "sim-client-secret";

    public string OrgId { get; set; } = "0123456789ABCDEF01234567@AdobeOrg";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a <see cref="FaultKind.CommitThenHang"/> holds the answer.</summary>
    public TimeSpan HangDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether <c>GET /connections</c> filters on <c>auth.params.url</c> (Adobe filters on any property path); false
    /// answers such a filter with 400 <c>1001-400</c>, like a Flow Service that does not.
    /// </summary>
    public bool FiltersOnAuthUrl { get; set; } = true;

    /// <summary>Default page size of <c>GET /connections</c>.</summary>
    public int DefaultPageSize { get; set; } = 20;
}
