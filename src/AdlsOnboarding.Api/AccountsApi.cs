using System.Globalization;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace AdlsOnboarding.Api;

/// <summary>An account as the registry API shows it: its registration, status and Adobe ids. No secrets.</summary>
public sealed record AccountView(
    string Sandbox,
    string AccountName,
    string? StorageAccountUrl,
    string? ClientId,
    string? Tenant,
    string? SecretName,
    string? SecretVersion,
    string? ConnectionName,
    string? Description,
    string? AdoptConnectionId,
    string Status,
    string? LastAction,
    string? ConnectionId,
    string? ConnectionEtag,
    bool? CredentialTestPassed,
    int? AttemptCount,
    string? ErrorCode,
    string? ErrorMessage,
    bool? WillRetry,
    DateTimeOffset? NextAttemptAt,
    string? Warning,
    string? InstanceId,
    string? TraceId,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt)
{
    /// <summary>After the create: whether Adobe could list the account (explore); null when not known.</summary>
    public bool? AdobeCanList { get; init; }

    /// <summary>Connected: a key version a rotation did not send (see <see cref="AccountRecord.PendingSecretVersion"/>).</summary>
    public string? PendingSecretVersion { get; init; }

    public static AccountView From(AccountRecord r)
    {
        bool failed = r.Status == OnboardingStatus.Failed;
        bool pending = r.Status == OnboardingStatus.Connected && !string.IsNullOrEmpty(r.PendingSecretVersion);
        return new AccountView(
            r.PartitionKey, r.RowKey, r.StorageAccountUrl, r.ClientId, r.Tenant, r.SecretName, NullIfEmpty(r.SecretVersion), r.ConnectionName, r.Description, NullIfEmpty(r.AdoptConnectionId),
            (r.Status ?? OnboardingStatus.Pending).ToString(), r.LastAction, NullIfEmpty(r.ConnectionId), NullIfEmpty(r.ConnectionEtag), r.CredentialTestPassed, r.AttemptCount,
            NullIfEmpty(r.ErrorCode), NullIfEmpty(r.ErrorMessage), failed ? r.ErrorTransient == true : null, (failed && r.ErrorTransient == true) || pending ? r.NextAttemptAt : null,
            NullIfEmpty(r.Warning), r.InstanceId, r.TraceId, r.CreatedAt, r.UpdatedAt)
        {
            AdobeCanList = r.AdobeCanList,
            PendingSecretVersion = pending ? r.PendingSecretVersion : null,
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>One page of <c>GET /api/accounts</c>.</summary>
public sealed record AccountPage(IReadOnlyList<AccountView> Items, string? ContinuationToken);

/// <summary>The registry's HTTP handlers, shared by both hosts: register (PUT), show one, list.</summary>
public sealed class AccountsApi(
    AccountRegistry registry,
    OnboardingRequestValidator validator,
    AccountRecordStore records,
    OnboardingStarter starter,
    OnboardingApi onboardingApi,
    IOptions<ApiOptions> apiOptions,
    IOptions<OnboardingOptions> onboardingOptions)
{
    public const string AccountsRoute = "accounts";
    public const string AccountRoute = "accounts/{sandbox}/{account}";
    public const int MaxPageSize = ValidationRules.MaxPageSize;

    /// <summary>
    /// <c>PUT /api/accounts/{sandbox}/{account}</c>: 201 registered, 200 updated or unchanged, 409 while an operation
    /// of the account is scheduled or running (asked of <paramref name="client"/>).
    /// </summary>
    public async Task<IResult> PutAsync(HttpRequest request, DurableTaskClient client, string sandbox, string account, CancellationToken cancellationToken = default)
    {
        if (!request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ?? true)
        {
            return Problems.UnsupportedMediaType();
        }

        Dictionary<string, string[]> errors = RouteErrors(sandbox, account);
        (OnboardingRequest? body, Dictionary<string, string[]> readErrors) = await OnboardingRequestReader.ReadAsync(request, apiOptions.Value.MaxRequestBodyBytes, cancellationToken, registration: true).ConfigureAwait(false);
        foreach ((string field, string[] messages) in readErrors)
        {
            errors[field] = messages;
        }

        if (errors.Count > 0 || body is null)
        {
            return Problems.Validation(errors);
        }

        // The account is in the path; a URL in the body, if any, is validated like any other and must name it.
        string derivedUrl = $"https://{account}.dfs.core.windows.net";
        if (!validator.TryValidate(body with { StorageAccountUrl = body.StorageAccountUrl ?? derivedUrl, Sandbox = sandbox }, out ValidOnboardingRequest? valid, out Dictionary<string, string[]> fieldErrors))
        {
            return Problems.Validation(fieldErrors);
        }

        if (valid.AccountName != account)
        {
            return Problems.Validation(new() { ["storageAccountUrl"] = [$"Must be {derivedUrl}, the account in the path (or be left out)."] });
        }

        (RegistrationOutcome outcome, AccountRecord record, string? running) = await registry.RegisterAsync(client, valid, cancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            RegistrationOutcome.Created => Results.Created($"{OnboardingApi.RoutePrefix}accounts/{sandbox}/{account}", AccountView.From(record)),
            RegistrationOutcome.Conflict => Problems.RegistrationConflict(running ?? OnboardingInstanceId.For(sandbox, account)),
            _ => Results.Json(AccountView.From(record)),
        };
    }

    /// <summary>
    /// <c>DELETE /api/accounts/{sandbox}/{account}</c>: offboards the account (deletes its Adobe connection, keeps the
    /// record as <c>Offboarded</c>). Answers like onboarding: 202 with a status URL; 409 while another operation runs;
    /// 200 with the account, starting nothing, when it is already <c>Offboarded</c>.
    /// </summary>
    public async Task<IResult> DeleteAsync(HttpRequest request, DurableTaskClient client, string sandbox, string account, CancellationToken cancellationToken = default)
    {
        Dictionary<string, string[]> errors = RouteErrors(sandbox, account);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        AccountRecord? record = await records.GetAsync(sandbox, account, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return Problems.AccountNotFound(sandbox, account);
        }

        // Already done: the record keeps the deleted connection's id for audit, which must not start another
        // offboarding (and another Adobe DELETE) on each repeat. A PUT since would have left it Pending.
        if (record.Status == OnboardingStatus.Offboarded)
        {
            return Results.Json(AccountView.From(record));
        }

        if (!onboardingApi.StatusUrlsReady)
        {
            return onboardingApi.NotReady(request);
        }

        // What a refusal restores is what the record held before its first unfinished offboarding (the store keeps
        // it); this is only the fallback for a record written before it did.
        OnboardingStatus previous = record.Status is OnboardingStatus.Offboarding or null
            ? (string.IsNullOrEmpty(record.ConnectionId) ? OnboardingStatus.Pending : OnboardingStatus.Connected)
            : record.Status.Value;
        StartResult result = await starter.StartOffboardingAsync(client, new OffboardingInput(sandbox, account, previous, onboardingOptions.Value.ToRetrySettings()), cancellationToken).ConfigureAwait(false);
        return result.Outcome == StartOutcome.Conflict
            ? Problems.Conflict(result.InstanceId, onboardingApi.StatusUrl(result.InstanceId))
            : onboardingApi.Accepted(request, result.InstanceId, result.Status);
    }

    /// <summary><c>GET /api/accounts/{sandbox}/{account}</c>.</summary>
    public async Task<IResult> GetAsync(string sandbox, string account, CancellationToken cancellationToken = default)
    {
        Dictionary<string, string[]> errors = RouteErrors(sandbox, account);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        AccountRecord? record = await records.GetAsync(sandbox, account, cancellationToken).ConfigureAwait(false);
        return record is null ? Problems.AccountNotFound(sandbox, account) : Results.Json(AccountView.From(record));
    }

    /// <summary><c>GET /api/accounts?sandbox=…&amp;status=…&amp;pageSize=…&amp;continuationToken=…</c>.</summary>
    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken = default)
    {
        Dictionary<string, string[]> errors = [];
        string? sandbox = QueryValue(request, "sandbox", errors);
        string? statusText = QueryValue(request, "status", errors);
        string? pageSizeText = QueryValue(request, "pageSize", errors);
        string? continuation = QueryValue(request, "continuationToken", errors);
        if (sandbox is not null && !ValidationRules.IsSandboxName(sandbox))
        {
            errors["sandbox"] = [ValidationRules.SandboxRule];
        }

        // Exactly a status name: Enum.TryParse would also take " Pending", "1" or "Pending,Failed".
        OnboardingStatus? status = null;
        if (statusText is not null)
        {
            if (Enum.GetNames<OnboardingStatus>().Contains(statusText, StringComparer.Ordinal))
            {
                status = Enum.Parse<OnboardingStatus>(statusText);
            }
            else
            {
                errors["status"] = [$"Must be one of {string.Join(", ", Enum.GetNames<OnboardingStatus>())}."];
            }
        }

        // Only the canonical spelling: "007" or "1e2" is not guessed at.
        int pageSize = 100;
        if (pageSizeText is not null && (!ValidationRules.IsPageSize(pageSizeText) || !int.TryParse(pageSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            errors["pageSize"] = [ValidationRules.PageSizeRule];
        }

        if (continuation is not null && (continuation.Length > 2048 || ValidationRules.Malformed(continuation) is not null))
        {
            errors["continuationToken"] = ["Must be a token from a previous page."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        try
        {
            (IReadOnlyList<AccountRecord> items, string? next) = await records.ListAsync(sandbox, status, continuation, pageSize, cancellationToken).ConfigureAwait(false);
            return Results.Json(new AccountPage([.. items.Select(AccountView.From)], next));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or AccountStoreException { Status: 400 })
        {
            return Problems.Validation(new() { ["continuationToken"] = ["Must be a token from a previous page."] });
        }
    }

    private static Dictionary<string, string[]> RouteErrors(string sandbox, string account)
    {
        Dictionary<string, string[]> errors = [];
        if (!ValidationRules.IsSandboxName(sandbox))
        {
            errors["sandbox"] = [ValidationRules.SandboxRule];
        }

        if (!ValidationRules.IsAccountName(account))
        {
            errors["account"] = [ValidationRules.AccountNameRule];
        }

        return errors;
    }

    /// <summary>A query parameter given at most once: which of two values was meant is not guessed.</summary>
    private static string? QueryValue(HttpRequest request, string name, Dictionary<string, string[]> errors)
    {
        StringValues values = request.Query[name];
        if (values.Count > 1)
        {
            errors[name] = ["Give this parameter once."];
            return null;
        }

        return values.Count == 1 ? values[0] : null;
    }
}
