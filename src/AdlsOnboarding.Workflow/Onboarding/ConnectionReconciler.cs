using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// Makes sure exactly one Adobe base connection exists for an account, with the requested credentials: it finds
/// one that may already exist (a create that timed out, an activity run twice, a connection made by hand),
/// reuses or updates it, and creates one only when none can exist. Safe to run any number of times.
/// </summary>
public sealed class ConnectionReconciler(
    FlowServiceClient flowService,
    ServicePrincipalKeys keys,
    AccountRecordStore records,
    IOptions<OnboardingOptions> onboardingOptions,
    IOptions<AdobeOptions> adobeOptions,
    TimeProvider time,
    ILogger<ConnectionReconciler> logger)
{
    private const int MaxEtagRetries = 3;
    private const string StaleEtagCode = "1404-412";
    public const string ConflictCode = "Conflict";
    public const string CreateInProgressCode = "CreateInProgress";

    public async Task<ConnectionResult> EnsureConnectionAsync(CreateConnectionInput input, CancellationToken cancellationToken = default)
    {
        OnboardingInput request = input.Onboarding;
        AccountRecord? record = await records.GetAsync(request.Sandbox, request.AccountName, cancellationToken).ConfigureAwait(false);

        // Skip the look-up only where the record proves no create can have happened (and adoption is off).
        bool mayHaveCreated = record is { CreatePending: true } || !string.IsNullOrEmpty(record?.ConnectionId);
        (FlowConnection? existing, string? warning) = mayHaveCreated || onboardingOptions.Value.AdoptExistingConnections
            ? await FindOursAsync(request, record, cancellationToken).ConfigureAwait(false)
            : (null, null);

        ConnectionIds ids;
        ConnectionAction action;
        if (existing is null)
        {
            ids = await CreateAsync(input, record, cancellationToken).ConfigureAwait(false);
            action = ConnectionAction.Created;
        }
        else if (CredentialsMatch(existing, input, record))
        {
            ids = new ConnectionIds(existing.Id, existing.Etag ?? record?.ConnectionEtag ?? "");
            action = ConnectionAction.Reused;
        }
        else if (IsResultOfPendingCreate(existing, input, record))
        {
            // An earlier attempt's POST went through although its answer was lost: that create is this one's result.
            ids = new ConnectionIds(existing.Id, existing.Etag ?? "");
            action = ConnectionAction.Created;
        }
        else
        {
            ids = await UpdateAsync(input, existing, cancellationToken).ConfigureAwait(false);
            action = ConnectionAction.Updated;
        }

        await records.RecordConnectionAsync(request.Sandbox, request.AccountName, ids.Id, ids.Etag, input.SecretVersion, keySent: action != ConnectionAction.Reused, cancellationToken).ConfigureAwait(false);
        Logs.ConnectionEnsured(logger, input.InstanceId, request.Sandbox, request.AccountName, ids.Id, action);

        bool? testPassed = await TestAsync(request, ids.Id, cancellationToken).ConfigureAwait(false);
        return new ConnectionResult(ids.Id, ids.Etag, action, testPassed, warning);
    }

    private async Task<(FlowConnection? Ours, string? Warning)> FindOursAsync(OnboardingInput request, AccountRecord? record, CancellationToken cancellationToken)
    {
        // The recorded id is the cheapest proof: one read.
        if (!string.IsNullOrEmpty(record?.ConnectionId))
        {
            FlowConnection? known = await flowService.GetConnectionAsync(request.Sandbox, record.ConnectionId, cancellationToken).ConfigureAwait(false);
            if (known is not null && IsOurs(known, request))
            {
                return (known, null);
            }
        }

        IReadOnlyList<FlowConnection> named = await flowService.FindConnectionsByNameAsync(request.Sandbox, request.ConnectionName, cancellationToken).ConfigureAwait(false);
        List<FlowConnection> ours = named.Where(c => IsOurs(c, request)).ToList();
        if (ours.Count == 0)
        {
            FlowConnection? other = named.FirstOrDefault(c => !string.Equals(c.AuthUrl?.TrimEnd('/'), request.StorageAccountUrl, StringComparison.OrdinalIgnoreCase));
            if (other is not null)
            {
                throw new OnboardingFailureException(
                    ConflictCode,
                    $"Connection {other.Id} in sandbox '{request.Sandbox}' is already named '{request.ConnectionName}' but points at {other.AuthUrl ?? "another account"}; choose another connectionName. It was not changed.",
                    isTransient: false);
            }

            return (null, null);
        }

        if (ours.Count == 1)
        {
            return (ours[0], null);
        }

        // Several connections for this account (made before us): keep the recorded one, else the oldest (then the
        // smallest id), and add none. The others are left alone and reported.
        FlowConnection chosen = ours.FirstOrDefault(c => c.Id == record?.ConnectionId)
            ?? ours.OrderBy(c => c.CreatedAt ?? long.MaxValue).ThenBy(c => c.Id, StringComparer.Ordinal).First();
        string others = string.Join(", ", ours.Where(c => c.Id != chosen.Id).Select(c => c.Id));
        string warning = $"{ours.Count} connections named '{request.ConnectionName}' point at this account; using {chosen.Id}, left untouched: {others}.";
        Logs.DuplicateConnectionsFound(logger, request.Sandbox, request.AccountName, ours.Count, chosen.Id);
        return (chosen, warning);
    }

    private async Task<ConnectionIds> CreateAsync(CreateConnectionInput input, AccountRecord? record, CancellationToken cancellationToken)
    {
        OnboardingInput request = input.Onboarding;
        DateTimeOffset now = time.GetUtcNow();
        if (record is { CreatePending: true, CreateLeaseUntil: { } leaseUntil } && leaseUntil > now)
        {
            // Another execution of this activity may be posting right now (at-least-once delivery): wait it out.
            throw new OnboardingFailureException(CreateInProgressCode, "Another attempt may be creating this connection; looking up again after its lease.", isTransient: true, retryAfter: leaseUntil - now);
        }

        TimeSpan lease = onboardingOptions.Value.CreateLease ?? adobeOptions.Value.RequestTimeout + TimeSpan.FromSeconds(10);
        if (!await records.TryBeginCreateAsync(request.Sandbox, request.AccountName, record, input.InstanceId, input.SecretVersion, lease, cancellationToken).ConfigureAwait(false))
        {
            throw new OnboardingFailureException(CreateInProgressCode, "Another attempt marked this account first; looking up again.", isTransient: true, retryAfter: TimeSpan.FromSeconds(1));
        }

        SensitiveString key = await keys.GetValueAsync(request.SecretName, input.SecretVersion, request.Binding, cancellationToken).ConfigureAwait(false);
        try
        {
            return await flowService.CreateConnectionAsync(
                request.Sandbox,
                new AdlsGen2ConnectionSpec(request.ConnectionName, request.Description, AuthParams(request, key)),
                cancellationToken).ConfigureAwait(false);
        }
        catch (AdobeServiceException ex)
        {
            // Best effort: if this write is lost, the lease simply runs out.
            await TryAsync(() => records.EndCreateAsync(request.Sandbox, request.AccountName, ex.RequestMayHaveSucceeded, cancellationToken)).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<ConnectionIds> UpdateAsync(CreateConnectionInput input, FlowConnection existing, CancellationToken cancellationToken)
    {
        OnboardingInput request = input.Onboarding;
        SensitiveString key = await keys.GetValueAsync(request.SecretName, input.SecretVersion, request.Binding, cancellationToken).ConfigureAwait(false);
        string etag = existing.Etag ?? "";
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await flowService.UpdateAuthParamsAsync(request.Sandbox, existing.Id, etag, AuthParams(request, key), cancellationToken).ConfigureAwait(false);
            }
            catch (AdobeServiceException ex) when (ex.Code == StaleEtagCode && attempt < MaxEtagRetries)
            {
                // Someone changed the connection since it was read: read the current etag and apply the update again.
                FlowConnection current = await flowService.GetConnectionAsync(request.Sandbox, existing.Id, cancellationToken).ConfigureAwait(false)
                    ?? throw new OnboardingFailureException("ConnectionVanished", $"Connection {existing.Id} disappeared during the update.", isTransient: true);
                etag = current.Etag ?? "";
            }
        }
    }

    private async Task<bool?> TestAsync(OnboardingInput request, string connectionId, CancellationToken cancellationToken)
    {
        try
        {
            return await flowService.TestConnectionAsync(request.Sandbox, connectionId, cancellationToken).ConfigureAwait(false);
        }
        catch (AdobeServiceException ex)
        {
            // The connection exists either way; an unavailable test is recorded as unknown rather than failing it.
            Logs.CredentialTestUnavailable(logger, request.Sandbox, request.AccountName, ex.Code);
            return null;
        }
    }

    private bool IsOurs(FlowConnection connection, OnboardingInput request) =>
        string.Equals(connection.Name, request.ConnectionName, StringComparison.Ordinal)
        && string.Equals(connection.ConnectionSpecId, adobeOptions.Value.ConnectionSpecId, StringComparison.OrdinalIgnoreCase)
        && string.Equals(connection.AuthUrl?.TrimEnd('/'), request.StorageAccountUrl, StringComparison.OrdinalIgnoreCase);

    private static bool CredentialsMatch(FlowConnection connection, CreateConnectionInput input, AccountRecord? record) =>
        string.Equals(connection.ServicePrincipalId, input.Onboarding.ClientId, StringComparison.OrdinalIgnoreCase)
        && string.Equals(connection.Tenant, input.Onboarding.Tenant, StringComparison.OrdinalIgnoreCase)
        // Adobe never shows the key, so the key is known to match only if we recorded sending this version to this connection.
        && record?.ConnectionId == connection.Id
        && string.Equals(record.SecretVersion, input.SecretVersion, StringComparison.OrdinalIgnoreCase);

    private static bool IsResultOfPendingCreate(FlowConnection connection, CreateConnectionInput input, AccountRecord? record) =>
        record is { CreatePending: true }
        && string.IsNullOrEmpty(record.ConnectionId)
        && string.Equals(record.CreateSecretVersion, input.SecretVersion, StringComparison.OrdinalIgnoreCase)
        && string.Equals(connection.ServicePrincipalId, input.Onboarding.ClientId, StringComparison.OrdinalIgnoreCase)
        && string.Equals(connection.Tenant, input.Onboarding.Tenant, StringComparison.OrdinalIgnoreCase);

    private static AdlsGen2AuthParams AuthParams(OnboardingInput request, SensitiveString key) =>
        new(request.StorageAccountUrl, request.ClientId, key, request.Tenant);

    private static async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (AccountStoreException)
        {
        }
    }
}
