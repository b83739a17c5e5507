using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Preflight;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// Makes sure exactly one Adobe base connection exists for an account, with the requested name and credentials: it
/// finds the one that may already exist (a create that timed out, an activity run twice, the recorded one, one named
/// for adoption), reuses, renames or updates it, and creates one only when none can exist. It changes only connections
/// <see cref="ConnectionOwnership"/> says are the app's; anything else with the account's name or URL is a
/// <see cref="ConnectionOwnership.ConflictCode"/> failure and is never touched. Safe to run any number of times.
/// Before a key is sent (a create, or an update that carries it), the pre-flight proves with that key that the service
/// principal can sign in and list the account; a failed pre-flight sends nothing to Adobe. After a create, Adobe's own
/// view of the account (explore) is recorded.
/// </summary>
public sealed class ConnectionReconciler(
    FlowServiceClient flowService,
    ServicePrincipalKeys keys,
    IPreflightChecker preflight,
    AccountRecordStore records,
    ConnectionOwnership ownership,
    IOptions<OnboardingOptions> onboardingOptions,
    IOptions<AdobeOptions> adobeOptions,
    TimeProvider time,
    ILogger<ConnectionReconciler> logger)
{
    private const int MaxEtagRetries = 3;
    private const string StaleEtagCode = "1404-412";
    public const string ConflictCode = ConnectionOwnership.ConflictCode;
    public const string CreateInProgressCode = "CreateInProgress";

    /// <summary>A connection the app may change, with Adobe's createdClient of it (recorded with the id).</summary>
    private sealed record Owned(FlowConnection Connection, string CreatedClient, bool FromPendingCreate, string? Warning = null);

    /// <summary>Ensures the connection and records it (its id, etag, creator and key version) before returning.</summary>
    public async Task<ConnectionResult> EnsureConnectionAsync(CreateConnectionInput input, CancellationToken cancellationToken = default)
    {
        ReconciledConnection reconciled = await EnsureConnectionUnrecordedAsync(input, cancellationToken).ConfigureAwait(false);
        ConnectionResult result = reconciled.Result;
        OnboardingInput request = input.Onboarding;
        await records.RecordConnectionAsync(request.Sandbox, request.AccountName, result.ConnectionId, result.Etag, reconciled.CreatedClient, input.SecretVersion, reconciled.KeySent, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Ensures the connection, and leaves recording it to the caller's next write of the record (one Table request
    /// fewer): until then, a write-ahead mark of a create stays pending, so an attempt that follows a crash looks the
    /// connection up (it carries this app's createdClient and the request's name, URL and service principal) instead
    /// of posting again.
    /// </summary>
    public async Task<ReconciledConnection> EnsureConnectionUnrecordedAsync(CreateConnectionInput input, CancellationToken cancellationToken = default)
    {
        OnboardingInput request = input.Onboarding;
        AccountRecord? record = await records.GetAsync(request.Sandbox, request.AccountName, cancellationToken).ConfigureAwait(false);

        // The pre-flight runs before any Flow Service call whenever this key version may be sent: a key that fails it
        // costs Adobe nothing. Only where the record proves the version already reached Adobe (a reuse, or the result
        // of an earlier attempt's create) is it left to the create or update that turns out to need it.
        CheckedKey? key = MaySendKey(input, record) ? await ReadCheckedKeyAsync(input, cancellationToken).ConfigureAwait(false) : null;
        Owned? owned;
        (owned, record) = await FindOwnedAsync(request, record, reread: false, cancellationToken).ConfigureAwait(false);

        ConnectionIds ids;
        ConnectionAction action;
        string createdClient;
        bool keySent;
        PreflightWarning? preflightWarning = null;
        if (owned is null)
        {
            (ids, preflightWarning) = await CreateAsync(input, record, key, cancellationToken).ConfigureAwait(false);
            (action, createdClient, keySent) = (ConnectionAction.Created, ownership.OurClient, true);
        }
        else
        {
            FlowConnection existing = owned.Connection;
            createdClient = owned.CreatedClient;

            // Adobe never shows the key: it is known to be current only if we recorded sending this version to this
            // connection, or if it is the result of our own create that sent this version.
            bool pendingResult = owned.FromPendingCreate && string.Equals(record?.CreateSecretVersion, input.SecretVersion, StringComparison.OrdinalIgnoreCase);
            bool keyCurrent = CredentialsMatch(existing, input, record) || (pendingResult && SameServicePrincipal(existing, request));
            bool nameCurrent = string.Equals(existing.Name, request.ConnectionName, StringComparison.Ordinal);
            if (keyCurrent && nameCurrent)
            {
                ids = new ConnectionIds(existing.Id, existing.Etag ?? record?.ConnectionEtag ?? "");
                (action, keySent) = (pendingResult ? ConnectionAction.Created : ConnectionAction.Reused, pendingResult);
            }
            else
            {
                if (!nameCurrent)
                {
                    // A rename (connectionName changed, or an adopted connection): the same connection takes the new
                    // name, so the account never has two live connections; the name must not be another's.
                    await EnsureNameFreeAsync(request, existing.Id, cancellationToken).ConfigureAwait(false);
                }

                (ids, preflightWarning) = await UpdateAsync(input, existing, sendKey: !keyCurrent, rename: nameCurrent ? null : request.ConnectionName, key, cancellationToken).ConfigureAwait(false);
                (action, keySent) = (ConnectionAction.Updated, !keyCurrent);
            }
        }

        if (action == ConnectionAction.Updated && keySent)
        {
            // A PATCH that sent a key is recorded at once (rotations only, one write): Adobe now holds this version,
            // and a later failure of this run must not leave the record saying it holds the previous one.
            await records.RecordConnectionAsync(request.Sandbox, request.AccountName, ids.Id, ids.Etag, createdClient, input.SecretVersion, keySent, cancellationToken).ConfigureAwait(false);
        }

        Logs.ConnectionEnsured(logger, input.InstanceId, request.Sandbox, request.AccountName, ids.Id, action);

        // The credential test and, after a create, Adobe's own view of the account: independent reads, in parallel.
        Task<bool?> test = TestAsync(request, ids.Id, cancellationToken);
        Task<(bool? CanList, string? Warning)> explore = action == ConnectionAction.Created
            ? ExploreAsync(request, ids.Id, cancellationToken)
            : Task.FromResult<(bool?, string?)>((null, null));
        bool? testPassed = await test.ConfigureAwait(false);
        (bool? adobeCanList, string? exploreWarning) = await explore.ConfigureAwait(false);
        string? warnings = JoinWarnings(owned?.Warning, preflightWarning is null ? null : $"{preflightWarning.Code}: {preflightWarning.Message}", exploreWarning);
        return new ReconciledConnection(new ConnectionResult(ids.Id, ids.Etag, action, testPassed, warnings) { AdobeCanList = adobeCanList }, createdClient, keySent);
    }

    /// <summary>
    /// The connection the app may change for this account, or null when there is none and nothing stands in the way
    /// of a create, with the record it decided on (read again when it was older than a create of the app's it found).
    /// In order: the recorded id; the one named in adoptConnectionId; the result of a create of ours whose answer was
    /// lost. Anything else with the account's name or URL is a conflict.
    /// </summary>
    private async Task<(Owned? Owned, AccountRecord? Record)> FindOwnedAsync(OnboardingInput request, AccountRecord? record, bool reread, CancellationToken cancellationToken)
    {
        string? adopt = request.AdoptConnectionId;
        if (!string.IsNullOrEmpty(record?.ConnectionId))
        {
            // The recorded id is the cheapest proof: one read.
            FlowConnection? known = await flowService.GetConnectionAsync(request.Sandbox, record.ConnectionId, cancellationToken).ConfigureAwait(false);
            if (known is not null)
            {
                if (adopt is not null && adopt != known.Id)
                {
                    throw ConnectionOwnership.Conflict(
                        $"Account '{request.AccountName}' already has connection {known.Id} in sandbox '{request.Sandbox}'; adopting {adopt} as well would leave two. Neither was changed: offboard the account first, or leave adoptConnectionId out.");
                }

                string? whyNot = ownership.WhyNotRecorded(known, request.StorageAccountUrl, record);
                if (whyNot is null)
                {
                    return (new Owned(known, known.CreatedClient ?? record.ConnectionCreatedClient ?? ownership.OurClient, FromPendingCreate: false), record);
                }

                if (adopt is null || ownership.WhyNotAdoptable(known, request) is not null)
                {
                    throw ConnectionOwnership.Conflict(
                        $"Connection {known.Id}, recorded for account '{request.AccountName}' in sandbox '{request.Sandbox}', may not be changed: {whyNot}. It was not changed."
                        + (adopt is null ? $" To keep it, onboard again with adoptConnectionId {known.Id} (its servicePrincipalId, tenant and URL must already be the request's), or offboard the account." : ""));
                }

                return (new Owned(known, known.CreatedClient!, FromPendingCreate: false), record);
            }

            // The recorded connection is gone (deleted outside the app): look again as for a first onboarding.
        }

        if (adopt is not null)
        {
            FlowConnection named = await flowService.GetConnectionAsync(request.Sandbox, adopt, cancellationToken).ConfigureAwait(false)
                ?? throw new OnboardingFailureException(ConnectionOwnership.AdoptNotFoundCode, $"Connection {adopt} (adoptConnectionId) does not exist in sandbox '{request.Sandbox}'. Nothing was changed.", isTransient: false);
            if (ownership.WhyNotAdoptable(named, request) is { } whyNot)
            {
                throw ConnectionOwnership.Conflict(
                    $"Connection {adopt} (adoptConnectionId) in sandbox '{request.Sandbox}' cannot be adopted: {whyNot}. Only a connection that already points at this account with this service principal and tenant can be adopted. It was not changed.");
            }

            Logs.ConnectionAdopted(logger, request.Sandbox, request.AccountName, adopt, named.CreatedClient);
            return (new Owned(named, named.CreatedClient!, FromPendingCreate: false), record);
        }

        // No connection of ours is known: look up the sandbox's ADLS Gen2 connections with this name and with this URL
        // (filtered by Adobe, in parallel: a constant number of calls however many connections the sandbox has), to find
        // the result of a create of ours whose answer was lost, and anything of someone else's in the way.
        IReadOnlyList<FlowConnection> found = await flowService.FindConnectionsByNameOrUrlAsync(request.Sandbox, request.ConnectionName, request.StorageAccountUrl, cancellationToken).ConfigureAwait(false);
        List<FlowConnection> clashing = found.Where(c => ConnectionOwnership.Clashes(c, request)).ToList();
        if (record is { CreatePending: true })
        {
            List<FlowConnection> ours = clashing.Where(c => ownership.IsOurCreate(c, request)).ToList();
            if (ours.Count > 0)
            {
                // Several would be creates of ours that each lost their answer (the lease makes that rare): keep the
                // oldest, then the smallest id, add none, and report the others.
                FlowConnection chosen = ours.OrderBy(c => c.CreatedAt ?? long.MaxValue).ThenBy(c => c.Id, StringComparer.Ordinal).First();
                string? warning = null;
                if (ours.Count > 1)
                {
                    warning = $"{ours.Count} connections created by this app named '{request.ConnectionName}' point at this account; using {chosen.Id}, left untouched: {string.Join(", ", ours.Where(c => c.Id != chosen.Id).Select(c => c.Id))}.";
                    Logs.DuplicateConnectionsFound(logger, request.Sandbox, request.AccountName, ours.Count, chosen.Id);
                }

                return (new Owned(chosen, ownership.OurClient, FromPendingCreate: true, warning), record);
            }
        }

        if (clashing.Count > 0 && !reread && clashing.Any(c => ownership.IsOurCreate(c, request)))
        {
            // The record this run read (before its pre-flight, or its own last write) may be older than another
            // execution's create of this account (an activity delivered again while it ran, or a retry beside it): read
            // it again before calling the app's own connection someone else's.
            AccountRecord? fresh = await records.GetAsync(request.Sandbox, request.AccountName, cancellationToken).ConfigureAwait(false);
            if (fresh is not null && fresh.ETag != record?.ETag)
            {
                return await FindOwnedAsync(request, fresh, reread: true, cancellationToken).ConfigureAwait(false);
            }
        }

        if (clashing.Count > 0)
        {
            string ids = string.Join(", ", clashing.Take(5).Select(c => c.Id)) + (clashing.Count > 5 ? $" and {clashing.Count - 5} more" : "");
            throw ConnectionOwnership.Conflict(
                $"Connection {ids} in sandbox '{request.Sandbox}' already has the name '{request.ConnectionName}' or points at {request.StorageAccountUrl}, and this app did not create it. It was not changed. Choose another connectionName, or, if it is this account's connection with this service principal and tenant, name it in adoptConnectionId.");
        }

        return (null, record);
    }

    /// <summary>A rename may not take a name another connection of the sandbox has.</summary>
    private async Task EnsureNameFreeAsync(OnboardingInput request, string connectionId, CancellationToken cancellationToken)
    {
        IReadOnlyList<FlowConnection> named = await flowService.FindConnectionsByNameAsync(request.Sandbox, request.ConnectionName, cancellationToken).ConfigureAwait(false);
        if (named.FirstOrDefault(c => c.Id != connectionId) is { } other)
        {
            throw ConnectionOwnership.Conflict(
                $"Connection {other.Id} in sandbox '{request.Sandbox}' already has the name '{request.ConnectionName}'; connection {connectionId} was not renamed and neither was changed. Choose another connectionName.");
        }
    }

    private async Task<(ConnectionIds Ids, PreflightWarning? Warning)> CreateAsync(CreateConnectionInput input, AccountRecord? record, CheckedKey? checkedKey, CancellationToken cancellationToken)
    {
        OnboardingInput request = input.Onboarding;
        DateTimeOffset now = time.GetUtcNow();
        if (record is { CreatePending: true, CreateLeaseUntil: { } leaseUntil } && leaseUntil > now)
        {
            // Another execution of this activity may be posting right now (at-least-once delivery): wait it out.
            throw new OnboardingFailureException(CreateInProgressCode, "Another attempt may be creating this connection; looking up again after its lease.", isTransient: true, retryAfter: leaseUntil - now);
        }

        // The pre-flight comes before the write-ahead mark: a key that fails it marks nothing and sends nothing.
        (SensitiveString key, PreflightWarning? warning) = checkedKey ?? await ReadCheckedKeyAsync(input, cancellationToken).ConfigureAwait(false);
        TimeSpan lease = onboardingOptions.Value.CreateLease ?? adobeOptions.Value.RequestTimeout + TimeSpan.FromSeconds(10);
        if (!await records.TryBeginCreateAsync(request.Sandbox, request.AccountName, record, input.InstanceId, input.SecretVersion, lease, cancellationToken).ConfigureAwait(false))
        {
            throw new OnboardingFailureException(CreateInProgressCode, "Another attempt marked this account first; looking up again.", isTransient: true, retryAfter: TimeSpan.FromSeconds(1));
        }

        try
        {
            ConnectionIds ids = await flowService.CreateConnectionAsync(
                request.Sandbox,
                new AdlsGen2ConnectionSpec(request.ConnectionName, request.Description, AuthParams(request, key)),
                cancellationToken).ConfigureAwait(false);
            return (ids, warning);
        }
        catch (AdobeServiceException ex)
        {
            // Best effort: if this write is lost, the lease simply runs out.
            await TryAsync(() => records.EndCreateAsync(request.Sandbox, request.AccountName, ex.RequestMayHaveSucceeded, cancellationToken)).ConfigureAwait(false);
            throw;
        }
        catch (ActivityHandOverException)
        {
            // Handed over unsent (the budget could not hold the gate's wait): take the mark back, so that the next
            // attempt does not wait out its lease as CreateInProgress (a counted attempt). A create pending from an
            // earlier attempt stays pending with the version it carried, so its result is still looked up.
            await TryAsync(() => records.EndUnsentCreateAsync(request.Sandbox, request.AccountName, record, cancellationToken)).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// One PATCH with <c>If-Match</c>: the key (all four auth params) and/or the name. On <c>1404-412</c> the connection
    /// is read again: if someone else changed it since it was read (its etag moved and Adobe's <c>updatedClient</c> is not
    /// this app), that is a conflict and nothing is overwritten; otherwise the update is applied to the new etag. A key is
    /// sent only after it passed the pre-flight.
    /// </summary>
    private async Task<(ConnectionIds Ids, PreflightWarning? Warning)> UpdateAsync(CreateConnectionInput input, FlowConnection existing, bool sendKey, string? rename, CheckedKey? checkedKey, CancellationToken cancellationToken)
    {
        OnboardingInput request = input.Onboarding;
        AdlsGen2AuthParams? auth = null;
        PreflightWarning? warning = null;
        if (sendKey)
        {
            (SensitiveString key, warning) = checkedKey ?? await ReadCheckedKeyAsync(input, cancellationToken).ConfigureAwait(false);
            auth = AuthParams(request, key);
        }

        string etag = existing.Etag ?? "";
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return (await flowService.UpdateConnectionAsync(request.Sandbox, existing.Id, etag, auth, rename, cancellationToken).ConfigureAwait(false), warning);
            }
            catch (AdobeServiceException ex) when (ex.Code == StaleEtagCode && attempt < MaxEtagRetries)
            {
                FlowConnection current = await flowService.GetConnectionAsync(request.Sandbox, existing.Id, cancellationToken).ConfigureAwait(false)
                    ?? throw new OnboardingFailureException("ConnectionVanished", $"Connection {existing.Id} disappeared during the update.", isTransient: true);
                bool changed = !string.Equals(current.Etag, etag, StringComparison.Ordinal);
                if (changed && !string.Equals(current.UpdatedClient, ownership.OurClient, StringComparison.Ordinal))
                {
                    Logs.ConcurrentEditFound(logger, request.Sandbox, request.AccountName, existing.Id, current.UpdatedClient);
                    throw ConnectionOwnership.Conflict(
                        $"Connection {existing.Id} in sandbox '{request.Sandbox}' was changed by someone else (Adobe client '{current.UpdatedClient ?? "unknown"}') while this onboarding was updating it; their change was not overwritten. Check the connection, then onboard again.");
                }

                if (changed && !ConnectionOwnership.SameUrl(current, request.StorageAccountUrl))
                {
                    throw ConnectionOwnership.Conflict($"Connection {existing.Id} in sandbox '{request.Sandbox}' no longer points at {request.StorageAccountUrl}; it was not changed.");
                }

                // The etag moved by our own hand (another execution of this activity), or Adobe answered 412 for an
                // unchanged connection: apply the update to the current version.
                etag = current.Etag ?? "";
            }
        }
    }

    /// <summary>
    /// Reads the key version about to be sent (through its tags, <see cref="ServicePrincipalKeys"/>) and runs the
    /// pre-flight with it. A failure names the version that was not sent; the key goes nowhere but the credential.
    /// </summary>
    private async Task<CheckedKey> ReadCheckedKeyAsync(CreateConnectionInput input, CancellationToken cancellationToken)
    {
        OnboardingInput request = input.Onboarding;
        ServicePrincipalKey key = await keys.GetKeyAsync(request.SecretName, input.SecretVersion, request.Binding, cancellationToken).ConfigureAwait(false);
        try
        {
            PreflightResult result = await preflight.CheckAsync(new PreflightRequest(request.Tenant, request.ClientId, request.AccountName, key.Value, key.CreatedOn), cancellationToken).ConfigureAwait(false);
            return new CheckedKey(key.Value, result.Warning);
        }
        catch (PreflightException ex)
        {
            throw new PreflightException(ex.Code, $"Key version {key.Version} of secret '{request.SecretName}' was not sent to Adobe. {ex.OperatorMessage}", ex.IsTransient, ex.RetryAfter);
        }
    }

    /// <summary>
    /// Adobe's own view: can it list the account with the connection's credentials, from its network? A refusal, or no
    /// answer, is a warning on a connected account, never a failure. Only Adobe's code is kept, not its text.
    /// </summary>
    private async Task<(bool? CanList, string? Warning)> ExploreAsync(OnboardingInput request, string connectionId, CancellationToken cancellationToken)
    {
        try
        {
            ExploreResult result = await flowService.ExploreRootAsync(request.Sandbox, connectionId, cancellationToken).ConfigureAwait(false);
            if (result.CanList)
            {
                return (true, null);
            }

            Logs.AdobeCannotList(logger, request.Sandbox, request.AccountName, connectionId, result.ErrorCode);
            return (false, $"{PreflightWarningCodes.AdobeCannotList}: Adobe could not list storage account {request.AccountName} with connection {connectionId} (Adobe error {result.ErrorCode}). Allow Adobe Experience Platform's IP addresses for your region in the account's firewall, and check that the service principal has Storage Blob Data Reader on the account.");
        }
        catch (AdobeServiceException ex)
        {
            Logs.ExploreUnavailable(logger, request.Sandbox, request.AccountName, ex.Code);
            return (null, null);
        }
    }

    /// <summary>
    /// Whether this run may send the key version: not when the record shows Adobe already holds it (recorded on the
    /// connection, or sent by an earlier attempt's create whose answer was lost).
    /// </summary>
    private static bool MaySendKey(CreateConnectionInput input, AccountRecord? record) =>
        !((!string.IsNullOrEmpty(record?.ConnectionId) && string.Equals(record.SecretVersion, input.SecretVersion, StringComparison.OrdinalIgnoreCase))
          || (record is { CreatePending: true } && string.Equals(record.CreateSecretVersion, input.SecretVersion, StringComparison.OrdinalIgnoreCase)));

    /// <summary>A key that passed the pre-flight (or was not checked, the pre-flight being off), with its warning if any.</summary>
    private sealed record CheckedKey(SensitiveString Key, PreflightWarning? Warning);

    private static string? JoinWarnings(params string?[] warnings)
    {
        string[] present = [.. warnings.Where(w => !string.IsNullOrEmpty(w))!];
        return present.Length == 0 ? null : string.Join(" ", present);
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

    private static bool CredentialsMatch(FlowConnection connection, CreateConnectionInput input, AccountRecord? record) =>
        string.Equals(connection.ServicePrincipalId, input.Onboarding.ClientId, StringComparison.OrdinalIgnoreCase)
        && string.Equals(connection.Tenant, input.Onboarding.Tenant, StringComparison.OrdinalIgnoreCase)
        // Adobe never shows the key, so the key is known to match only if we recorded sending this version to this connection.
        && record?.ConnectionId == connection.Id
        && string.Equals(record.SecretVersion, input.SecretVersion, StringComparison.OrdinalIgnoreCase);

    private static bool SameServicePrincipal(FlowConnection connection, OnboardingInput request) =>
        string.Equals(connection.ServicePrincipalId, request.ClientId, StringComparison.OrdinalIgnoreCase)
        && string.Equals(connection.Tenant, request.Tenant, StringComparison.OrdinalIgnoreCase);

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

/// <summary>
/// A connection ensured but not yet recorded: the result, Adobe's createdClient of the connection and whether this run
/// sent the key version (both recorded with it). Never leaves the activity: no history, no output.
/// </summary>
public sealed record ReconciledConnection(ConnectionResult Result, string CreatedClient, bool KeySent);
