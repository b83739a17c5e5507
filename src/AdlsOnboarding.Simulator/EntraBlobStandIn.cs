using AdlsOnboarding.Simulator.BlobStorage;
using AdlsOnboarding.Simulator.Entra;

namespace AdlsOnboarding.Simulator;

/// <summary>
/// One https stand-in for what a service principal's pre-flight reaches: Entra ID's token endpoint and the storage
/// accounts' blob endpoints. <see cref="Unmatched"/> lists every request neither serves, so a test can prove that
/// the SDK clients sent nothing else (no discovery or metadata call).
/// </summary>
public sealed class EntraBlobStandIn
{
    private readonly Lock _gate = new();
    private readonly List<string> _unmatched = [];

    public EntraStandInState Entra { get; } = new();

    public BlobStandInState Blobs { get; } = new();

    public IReadOnlyList<string> Unmatched
    {
        get
        {
            lock (_gate)
            {
                return _unmatched.ToList();
            }
        }
    }

    internal void RecordUnmatched(HttpRequest request)
    {
        lock (_gate)
        {
            _unmatched.Add($"{request.Method} {request.Path}{request.QueryString}");
        }
    }
}
