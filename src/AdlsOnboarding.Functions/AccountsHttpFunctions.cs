using AdlsOnboarding.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace AdlsOnboarding.Functions;

/// <summary>The account registry's HTTP triggers: adapters to <see cref="AccountsApi"/>.</summary>
public sealed class AccountsHttpFunctions(AccountsApi api)
{
    [Function(nameof(RegisterAccount))]
    public async Task<IActionResult> RegisterAccount(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = AccountsApi.AccountRoute)] HttpRequest request,
        string sandbox,
        string account,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new ResultActionResult(await api.PutAsync(request, client, sandbox, account, cancellationToken));

    [Function(nameof(GetAccount))]
    public async Task<IActionResult> GetAccount(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = AccountsApi.AccountRoute)] HttpRequest request,
        string sandbox,
        string account,
        CancellationToken cancellationToken) =>
        new ResultActionResult(await api.GetAsync(sandbox, account, cancellationToken));

    [Function(nameof(OffboardAccount))]
    public async Task<IActionResult> OffboardAccount(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = AccountsApi.AccountRoute)] HttpRequest request,
        string sandbox,
        string account,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        new ResultActionResult(await api.DeleteAsync(request, client, sandbox, account, cancellationToken));

    [Function(nameof(ListAccounts))]
    public async Task<IActionResult> ListAccounts(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = AccountsApi.AccountsRoute)] HttpRequest request,
        CancellationToken cancellationToken) =>
        new ResultActionResult(await api.ListAsync(request, cancellationToken));
}
