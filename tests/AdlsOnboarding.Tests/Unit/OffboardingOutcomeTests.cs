using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.DurableTask.Converters;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// Offboarding returns its own <see cref="OffboardingOutcome"/>. Offboardings that completed under an earlier release
/// stored an onboarding outcome with a <c>Deletion</c> property; their status URLs must still answer the same.
/// </summary>
public sealed class OffboardingOutcomeTests
{
    [Fact]
    public void OffboardingOutcome_ReadsTheOutputOfAnEarlierRelease()
    {
        DateTimeOffset completedAt = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        // The shape OffboardingOrchestration returned before: every OnboardingOutcome property, and Deletion.
        string earlier = JsonDataConverter.Default.Serialize(new
        {
            Sandbox = "prod",
            AccountName = "leaving",
            Status = OnboardingStatus.Offboarded,
            ConnectionId = "c-1",
            Etag = (string?)null,
            ConnectionName = (string?)null,
            Action = (ConnectionAction?)null,
            CredentialTestPassed = (bool?)null,
            SecretVersion = (string?)null,
            ErrorCode = (string?)null,
            ErrorMessage = (string?)null,
            Warning = (string?)null,
            CompletedAt = completedAt,
            Deletion = (DeletionAction?)DeletionAction.AlreadyGone,
        })!;

        OffboardingOutcome outcome = JsonDataConverter.Default.Deserialize<OffboardingOutcome>(earlier)!;

        Assert.Equal(new OffboardingOutcome("prod", "leaving", OnboardingStatus.Offboarded, "c-1", DeletionAction.AlreadyGone, null, null, completedAt), outcome);
    }
}
