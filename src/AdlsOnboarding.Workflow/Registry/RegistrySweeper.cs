using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Registry;

/// <summary>What one sweep did.</summary>
public sealed record SweepReport(int Due, int Started, int Joined, int Running, int Conflicts, int Invalid, int Deferred);

/// <summary>
/// Onboards registered accounts without anybody calling the start API: on each timer tick it finds the accounts
/// that are due (<see cref="AccountRecordStore.QueryDueAsync"/>) and starts at most
/// <see cref="SweepOptions.MaxStartsPerSweep"/> of them through the same start-or-join routine as the HTTP API, so it
/// never doubles a running onboarding. Calls to Adobe stay bounded by the <see cref="Adobe.AdobeTrafficGate"/>.
/// </summary>
public sealed class RegistrySweeper(
    AccountRecordStore records,
    OnboardingStarter starter,
    IOptions<SweepOptions> sweepOptions,
    IOptions<OnboardingOptions> onboardingOptions,
    TimeProvider time,
    ILogger<RegistrySweeper> logger)
{
    public async Task<SweepReport> SweepAsync(DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        SweepOptions options = sweepOptions.Value;
        DateTimeOffset now = time.GetUtcNow();
        int due = 0, started = 0, joined = 0, running = 0, conflicts = 0, invalid = 0, deferred = 0;

        await foreach (AccountRecord record in records.QueryDueAsync(now, now - options.StaleOnboardingAfter, cancellationToken).ConfigureAwait(false))
        {
            due++;
            if (started >= options.MaxStartsPerSweep)
            {
                deferred++;
                continue;
            }

            ValidOnboardingRequest? request = AccountRegistry.RequestOf(record);
            if (request is null)
            {
                invalid++;
                await records.UpsertAsync(new AccountRecordUpdate(record.PartitionKey, record.RowKey, OnboardingStatus.Failed, "SweepSkipped",
                    ErrorCode: "InvalidRegistration", ErrorMessage: "The stored registration is not valid; register the account again.", ErrorTransient: false), cancellationToken).ConfigureAwait(false);
                continue;
            }

            StartResult result = await starter.StartOrJoinAsync(client, OnboardingInput.From(request, onboardingOptions.Value.ToRetrySettings()), cancellationToken).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case StartOutcome.Started:
                    started++;
                    break;
                case StartOutcome.Joined when record.StatusValue == OnboardingStatus.Onboarding:
                    running++;
                    break;
                case StartOutcome.Joined:
                    joined++;
                    break;
                default:
                    // An HTTP caller's different request is running; the account is due again when it ends.
                    conflicts++;
                    break;
            }
        }

        SweepReport report = new(due, started, joined, running, conflicts, invalid, deferred);
        Logs.SweepCompleted(logger, report.Due, report.Started, report.Joined, report.Running, report.Conflicts, report.Invalid, report.Deferred);
        return report;
    }
}
