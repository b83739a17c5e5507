using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using Azure.Data.Tables;
using Microsoft.DurableTask.Client;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>
/// Runs onboardings that succeed, fail, renew tokens and update credentials, then searches everything a person
/// or a system could read afterwards for the secrets: none may appear anywhere.
/// </summary>
public sealed class SecretHygieneTests
{
    [Fact]
    public async Task Onboardings_AnyOutcome_NoSecretInHistoryLogsTablesOrResponses()
    {
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync();
        List<string> keys = [harness.ServicePrincipalKey];
        List<string> readable = [];

        // Success through the HTTP handlers, with their responses kept.
        var post = ApiCall.Request("POST", "https://app.test/api/onboardings", $$"""{"storageAccountUrl":"https://hygiene1.dfs.core.windows.net","clientId":"11111111-2222-3333-4444-555555555555","tenant":"contoso.onmicrosoft.com","secretName":"{{WorkflowHarness.ServicePrincipalSecretName}}","sandbox":"prod"}""");
        ApiResponse accepted = await ApiCall.ExecuteAsync(post, await harness.Api.StartAsync(post, harness.Client));
        readable.Add(accepted.Body);
        await harness.WaitAsync("onboard-prod-hygiene1");
        var get = ApiCall.Request("GET", accepted.Header("Location")!, contentType: null);
        readable.Add((await ApiCall.ExecuteAsync(get, await harness.Api.GetStatusAsync(get, harness.Client, "onboard-prod-hygiene1"))).Body);

        // A permanent failure, a token renewal, transient failures, a rotation (update) and a Key Vault failure.
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 400));
        await harness.OnboardAsync(WorkflowHarness.Request("hygiene2"));
        harness.Adobe.State.ExpireAllTokens();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.CommitThenReset));
        await harness.OnboardAsync(WorkflowHarness.Request("hygiene3"));
        harness.RotateServicePrincipalKey();
        keys.Add(harness.ServicePrincipalKey);
        await harness.OnboardAsync(WorkflowHarness.Request("hygiene3"));
        harness.KeyVault.State.EnqueueFault(503);
        await harness.OnboardAsync(WorkflowHarness.Request("hygiene4"));

        // The pre-flight: a key Entra refuses, an account on which the service principal has no role (both failures),
        // and one whose network rules refuse us (a warning); their container names are secrets of their own.
        harness.VaultKeysKnownToEntra = false;
        string refusedKey = "spk~refused-" + Guid.NewGuid().ToString("N");
        harness.KeyVault.State.SetSecret("sp-key-refused", refusedKey, createdOn: DateTimeOffset.UtcNow.AddHours(-1), tags: WorkflowHarness.BoundTags());
        harness.VaultKeysKnownToEntra = true;
        keys.Add(refusedKey);
        (_, OnboardingOutcome refused) = await harness.OnboardAsync(WorkflowHarness.Request("hygiene5", secretName: "sp-key-refused"));
        Assert.Equal("PreflightInvalidKey", refused.ErrorCode);
        const string ContainerName = "hygiene-private-container-7f3a";
        harness.EntraAndBlobs.State.Blobs.AddAccount("hygiene6", WorkflowHarness.TenantId).AddContainers(ContainerName);
        (_, OnboardingOutcome noRole) = await harness.OnboardAsync(WorkflowHarness.Request("hygiene6"));
        Assert.Equal("PreflightRoleMissing", noRole.ErrorCode);
        harness.EntraAndBlobs.State.Blobs.AddAccount("hygiene7", WorkflowHarness.TenantId).AddContainers(ContainerName).GrantBlobDataReader(WorkflowHarness.ClientId).NetworkRulesDenyCaller = true;
        await harness.OnboardAsync(WorkflowHarness.Request("hygiene7"));
        harness.EntraAndBlobs.State.Blobs.AddAccount("hygiene8", WorkflowHarness.TenantId).AddContainers(ContainerName).GrantBlobDataReader(WorkflowHarness.ClientId);
        await harness.OnboardAsync(WorkflowHarness.Request("hygiene8"));

        string[] secrets = [.. keys, harness.Adobe.State.Settings.ClientSecret, WorkflowHarness.KeyVaultToken, .. harness.Adobe.State.IssuedTokens, .. harness.EntraAndBlobs.State.Entra.IssuedTokens, ContainerName];
        Assert.True(harness.Adobe.State.IssuedTokens.Count >= 2);
        // One pre-flight token per key value (the first and the rotated key): later pre-flights reuse the sign-in.
        Assert.True(harness.EntraAndBlobs.State.Entra.IssuedTokens.Count >= 2);

        // Orchestration inputs, outputs, custom status and failures, as the client can read them.
        await foreach (OrchestrationMetadata metadata in harness.Client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true }))
        {
            readable.Add($"{metadata.SerializedInput} {metadata.SerializedOutput} {metadata.SerializedCustomStatus} {metadata.FailureDetails}");
        }

        // Every property of every account record.
        await foreach (TableEntity entity in harness.Table.QueryAsync<TableEntity>())
        {
            readable.Add(string.Join(";", entity.Select(p => $"{p.Key}={p.Value}")));
        }

        // Every log line, with its structured properties and exceptions.
        readable.AddRange(harness.Logs.Entries.Select(e => e.ToString()));

        Assert.True(readable.Count > 20);
        foreach (string secret in secrets)
        {
            Assert.DoesNotContain(readable, text => text.Contains(secret, StringComparison.Ordinal));
        }

        // The sanity check that the search would have found them: Adobe did receive the keys.
        Assert.Contains(harness.Adobe.State.Connections, c => c.Auth.ServicePrincipalKey == harness.ServicePrincipalKey);
    }

    [Fact]
    public async Task AdobeErrorQuotingTheRequest_CreateAndKeyUpdate_KeyNowhereInRecordOutcomeLogsOrHistory()
    {
        // Red team: Adobe's error text is passed on (record, outcome, 422, logs). An error that quotes the request body,
        // as validation errors often do, quoted the service principal key with it.
        await using WorkflowHarness harness = await WorkflowHarness.StartAsync();
        List<string> keys = [harness.ServicePrincipalKey];
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.EchoRequest, 400));
        (_, OnboardingOutcome created) = await harness.OnboardAsync(WorkflowHarness.Request("echocreate"));
        Assert.Equal(OnboardingStatus.Failed, created.Status);
        Assert.Contains("could not be validated", created.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(keys[0], created.ErrorMessage, StringComparison.Ordinal);

        (_, OnboardingOutcome connected) = await harness.OnboardAsync(WorkflowHarness.Request("echoupdate"));
        Assert.Equal(OnboardingStatus.Connected, connected.Status);
        harness.RotateServicePrincipalKey();
        keys.Add(harness.ServicePrincipalKey);
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Update, new SimulatedFault(FaultKind.EchoRequest, 400));
        (_, OnboardingOutcome updated) = await harness.OnboardAsync(WorkflowHarness.Request("echoupdate"));
        Assert.Equal(OnboardingStatus.Failed, updated.Status);

        List<string> readable = [$"{created.ErrorMessage} {updated.ErrorMessage}"];
        await foreach (OrchestrationMetadata metadata in harness.Client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true }))
        {
            readable.Add($"{metadata.SerializedInput} {metadata.SerializedOutput} {metadata.SerializedCustomStatus} {metadata.FailureDetails}");
        }

        await foreach (TableEntity entity in harness.Table.QueryAsync<TableEntity>())
        {
            readable.Add(string.Join(";", entity.Select(p => $"{p.Key}={p.Value}")));
        }

        readable.AddRange(harness.Logs.Entries.Select(e => e.ToString()));
        foreach (string key in keys)
        {
            Assert.DoesNotContain(readable, text => text.Contains(key, StringComparison.Ordinal));
        }
    }
}
