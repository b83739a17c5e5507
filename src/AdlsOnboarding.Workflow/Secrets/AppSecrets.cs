namespace AdlsOnboarding.Workflow.Secrets;

/// <summary>
/// The service key of the app's own secret store and vault client (<c>[FromKeyedServices(AppSecrets.Key)]</c>): the
/// IMS client secret and the status-token key are read there, service principal keys never.
/// </summary>
public static class AppSecrets
{
    public const string Key = "app-secrets";

    /// <summary>Whether two vault URIs name the same vault (scheme, host and port; Key Vault ignores case).</summary>
    public static bool SameVault(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
}
