using AdlsOnboarding.Workflow.Failures;
using Azure;

namespace AdlsOnboarding.Workflow.Storage;

/// <summary>
/// Table Storage refused or did not answer a read or write of an account record (after the Table client's own
/// retries). Busy, throttled or unreachable is worth another attempt; anything else is not.
/// </summary>
public sealed class AccountStoreException : Exception
{
    /// <summary>The error code every account-store failure is recorded with.</summary>
    public const string ErrorCode = "TableStorageError";

    public AccountStoreException(RequestFailedException failure)
        : base(FailureMessage.Format(ErrorCode, IsTransientStatus(failure.Status), null, DetailOf(failure)), failure)
    {
        Status = failure.Status;
        ServiceErrorCode = failure.ErrorCode;
        Detail = DetailOf(failure);
        IsTransient = IsTransientStatus(failure.Status);
    }

    /// <summary>The HTTP status, or 0 when no response arrived.</summary>
    public int Status { get; }

    /// <summary>Table Storage's own error code (<c>ServerBusy</c>, <c>InvalidInput</c>), if it sent one.</summary>
    public string? ServiceErrorCode { get; }

    public string Detail { get; }

    public bool IsTransient { get; }

    private static bool IsTransientStatus(int status) => status is 0 or 408 or 429 or >= 500;

    private static string DetailOf(RequestFailedException failure) => $"Reading or writing the account record failed ({failure.Status} {failure.ErrorCode}).";
}
