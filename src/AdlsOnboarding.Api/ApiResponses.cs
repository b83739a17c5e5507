namespace AdlsOnboarding.Api;

/// <summary>Body of a 202: where to poll.</summary>
public sealed record OnboardingAccepted(string InstanceId, string Status, string StatusUrl);

/// <summary>Body of a 200 from the status endpoint: the account is connected (or, for an offboarding, offboarded).</summary>
public sealed record OnboardingResult(
    string InstanceId,
    string Status,
    string Sandbox,
    string AccountName,
    string? ConnectionId,
    string? Etag,
    string? ConnectionName,
    string? Action,
    bool? CredentialTestPassed,
    string? SecretVersion,
    string? Warning,
    DateTimeOffset CompletedAt)
{
    /// <summary>After a create: whether Adobe could list the account (explore); null when not asked or no answer.</summary>
    public bool? AdobeCanList { get; init; }
}
