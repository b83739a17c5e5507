namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// The lifecycle of an account's record. The values are stored in Table Storage by name, so they are never renamed.
/// </summary>
public enum OnboardingStatus
{
    /// <summary>Registered, not yet onboarded.</summary>
    Pending,

    /// <summary>An onboarding orchestration is running.</summary>
    Onboarding,

    /// <summary>The Adobe base connection exists and its ids are recorded.</summary>
    Connected,

    /// <summary>The last onboarding ended with a permanent failure (see the error code and message).</summary>
    Failed,

    /// <summary>Reserved for offboarding: the connection is being removed.</summary>
    Offboarding,

    /// <summary>Reserved for offboarding: the connection was removed.</summary>
    Offboarded,
}
