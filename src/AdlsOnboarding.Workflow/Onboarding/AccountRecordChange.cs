using System.Text.Json.Serialization;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>Which of <see cref="AccountRecordStore"/>'s marks an orchestrator asks <see cref="SaveAccountRecordActivity"/> for.</summary>
public enum AccountRecordMark
{
    Onboarding,
    Connected,
    Failed,
    Offboarding,
    Offboarded,
    OffboardingRefused,
}

/// <summary>
/// The input of <see cref="SaveAccountRecordActivity"/>: one mark and what it records (built with the factories,
/// which fill exactly what the mark needs). Ids and codes only, never a secret.
/// </summary>
public sealed record AccountRecordChange(AccountRecordMark Mark, string Sandbox, string AccountName, string InstanceId)
{
    public OnboardingRun? Run { get; init; }

    public ConnectedAccount? Connection { get; init; }

    public AccountFailure? Failure { get; init; }

    public DeletionAction? Deletion { get; init; }

    /// <summary>Offboarding refused: the status the account had before.</summary>
    public OnboardingStatus? RestoredStatus { get; init; }

    /// <summary>The status the mark leaves on the record.</summary>
    [JsonIgnore]
    public OnboardingStatus Status => Mark switch
    {
        AccountRecordMark.Onboarding => OnboardingStatus.Onboarding,
        AccountRecordMark.Connected => OnboardingStatus.Connected,
        AccountRecordMark.Failed => OnboardingStatus.Failed,
        AccountRecordMark.Offboarding => OnboardingStatus.Offboarding,
        AccountRecordMark.Offboarded => OnboardingStatus.Offboarded,
        _ => RestoredStatus ?? throw new InvalidOperationException("An offboarding refusal needs the status to restore."),
    };

    public static AccountRecordChange Onboarding(OnboardingRun run) => ForRun(AccountRecordMark.Onboarding, run);

    public static AccountRecordChange Connected(OnboardingRun run, ConnectedAccount connection) => ForRun(AccountRecordMark.Connected, run) with { Connection = connection };

    public static AccountRecordChange Failed(OnboardingRun run, AccountFailure failure) => ForRun(AccountRecordMark.Failed, run) with { Failure = failure };

    public static AccountRecordChange Offboarding(string sandbox, string accountName, string instanceId) => new(AccountRecordMark.Offboarding, sandbox, accountName, instanceId);

    public static AccountRecordChange Offboarded(string sandbox, string accountName, string instanceId, DeletionAction deletion) =>
        new(AccountRecordMark.Offboarded, sandbox, accountName, instanceId) { Deletion = deletion };

    public static AccountRecordChange OffboardingRefused(string sandbox, string accountName, string instanceId, OnboardingStatus restored, ClassifiedFailure failure) =>
        new(AccountRecordMark.OffboardingRefused, sandbox, accountName, instanceId) { RestoredStatus = restored, Failure = new AccountFailure(failure.Code, failure.PublicMessage, IsTransient: false, AttemptCount: null) };

    private static AccountRecordChange ForRun(AccountRecordMark mark, OnboardingRun run) =>
        new(mark, run.Registration.Sandbox, run.Registration.AccountName, run.InstanceId) { Run = run };
}
