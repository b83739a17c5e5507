using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>
/// What a failure tells the caller: the text of an unclassified exception or of a Table Storage error says how the app
/// is built and run, so the record and the 422 problem carry its code and a fixed sentence; the text goes to logs.
/// </summary>
public sealed class FailureTextTests
{
    private const string InternalDetail = "Internal detail: pool exhausted at AdlsOnboarding.Workflow.Secrets (node 7)";

    /// <summary>A store that fails as a bug would: with an exception no client classifies.</summary>
    private sealed class BrokenSecretStore : ISecretStore
    {
        public Task<SecretVersionInfo> ResolveVersionAsync(string name, string? version, CancellationToken cancellationToken = default) => throw new InvalidOperationException(InternalDetail);

        public Task<IReadOnlyList<SecretVersionProperties>> GetVersionsAsync(string name, CancellationToken cancellationToken = default) => throw new InvalidOperationException(InternalDetail);

        public Task<SensitiveString> GetValueAsync(string name, string version, CancellationToken cancellationToken = default) => throw new InvalidOperationException(InternalDetail);
    }

    /// <summary>Refuses the first read of an account record with 403, as Table Storage does without the data role.</summary>
    private sealed class RefuseFirstReadPolicy : HttpPipelineSynchronousPolicy
    {
        private int _refused;

        public override void OnSendingRequest(HttpMessage message)
        {
            bool entityRead = message.Request.Method == RequestMethod.Get && message.Request.Uri.Path.Contains("PartitionKey=", StringComparison.Ordinal);
            if (entityRead && Interlocked.Exchange(ref _refused, 1) == 0)
            {
                throw new Azure.RequestFailedException(403, "This request is not authorized to perform this operation using this permission. RequestId:6f1c…", "AuthorizationPermissionMismatch", null);
            }
        }
    }

    [Fact]
    public async Task Onboard_UnexpectedException_RecordAndProblemCarryTheCodeAndAFixedSentence_TextInLogs()
    {
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(configureServices: services => services.AddSingleton<ISecretStore, BrokenSecretStore>());

        ApiResponse problem = await OnboardThroughApiAsync(harness, "brokenstore");
        AccountRecord record = (await harness.RecordAsync("prod", "brokenstore"))!;

        Assert.Equal(422, problem.Status);
        Assert.Equal(ClassifiedFailure.UnexpectedCode, problem.Json.GetProperty("errorCode").GetString());
        Assert.Equal(ClassifiedFailure.UnexpectedCode, record.ErrorCode);
        Assert.DoesNotContain("Internal detail", problem.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Internal detail", record.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(record.ErrorMessage, problem.Json.GetProperty("detail").GetString());
        Assert.Contains(harness.Logs.Entries, e => e.EventId.Id == 1005 && e.Message.Contains(InternalDetail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Onboard_TableStorageRefusesARead_RecordAndProblemCarryTheCodeAndAFixedSentence_TextInLogs()
    {
        RefuseFirstReadPolicy policy = new();
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync(
            configureServices: services => services.AddSingleton<Action<TableClientOptions>>(o => o.AddPolicy(policy, HttpPipelinePosition.PerRetry)));

        // A registered account: its record exists before the onboarding, so the onboarding reads it from the table
        // (a record the onboarding itself creates is known without a read).
        await harness.Table.CreateIfNotExistsAsync();
        await harness.Table.AddEntityAsync(new TableEntity("prod", "tablerefused") { ["Status"] = nameof(OnboardingStatus.Pending) });

        ApiResponse problem = await OnboardThroughApiAsync(harness, "tablerefused");
        AccountRecord record = (await harness.RecordAsync("prod", "tablerefused"))!;

        Assert.Equal(AccountStoreException.ErrorCode, problem.Json.GetProperty("errorCode").GetString());
        Assert.Equal(AccountStoreException.ErrorCode, record.ErrorCode);
        foreach (string text in new[] { problem.Body, record.ErrorMessage! })
        {
            Assert.DoesNotContain("AuthorizationPermissionMismatch", text, StringComparison.Ordinal);
            Assert.DoesNotContain("403", text, StringComparison.Ordinal);
        }

        Assert.Contains(harness.Logs.Entries, e => e.EventId.Id == 1005 && e.Message.Contains("AuthorizationPermissionMismatch", StringComparison.Ordinal));
        Assert.Empty(harness.Adobe.State.Connections);
    }

    private static async Task<ApiResponse> OnboardThroughApiAsync(WorkflowHarness harness, string account)
    {
        string body = $$"""{"storageAccountUrl":"https://{{account}}.dfs.core.windows.net","clientId":"{{WorkflowHarness.ClientId}}","tenant":"{{WorkflowHarness.Tenant}}","secretName":"{{WorkflowHarness.ServicePrincipalSecretName}}","sandbox":"prod"}""";
        var post = ApiCall.Request("POST", "https://app.test/api/onboardings", body);
        ApiResponse accepted = await ApiCall.ExecuteAsync(post, await harness.Api.StartAsync(post, harness.Client));
        Assert.Equal(202, accepted.Status);
        string instanceId = accepted.Json.GetProperty("instanceId").GetString()!;
        await harness.WaitAsync(instanceId);
        var get = ApiCall.Request("GET", accepted.Header("Location")!, contentType: null);
        return await ApiCall.ExecuteAsync(get, await harness.Api.GetStatusAsync(get, harness.Client, instanceId));
    }
}
