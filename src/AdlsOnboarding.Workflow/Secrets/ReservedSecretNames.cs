namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// The names of the app's own secrets (the IMS client secret, the status-token key). A request may never name one as
/// a service principal's key: the app would read it with its own identity and send it to Adobe. Each area that owns
/// a secret adds its configured name where its options are registered; Key Vault compares names without regard to
/// case, and so does this set.
/// </summary>
public sealed class ReservedSecretNames
{
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> Names => _names;

    public void Add(string? name)
    {
        if (!string.IsNullOrEmpty(name))
        {
            _names.Add(name);
        }
    }

    public bool Contains(string name) => _names.Contains(name);
}
