using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Tests.Rotation;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Storage;
using Azure.Storage.Queues;

namespace AdlsOnboarding.Tests.LocalHost;

/// <summary>The local host reads the Key Vault events queue on Azurite, as the Functions queue trigger does.</summary>
public sealed class LocalHostKeyVaultEventsTests
{
    [Fact]
    public async Task EventsQueue_NewVersionMessage_RotatesTheAccount_MalformedMessageDropped()
    {
        string queueName = "kvevents" + Guid.NewGuid().ToString("N")[..12];
        await using LocalHostHarness harness = await LocalHostHarness.StartAsync(s => s["KeyVaultEventsQueue"] = queueName);
        ApiResponse accepted = await harness.PostAsync(LocalHostHarness.Body("queueacct"));
        Assert.Equal(200, (await harness.PollUntilDoneAsync(accepted.Header("Location")!)).Status);
        QueueClient queue = new(Azurite.ConnectionString, queueName);
        await queue.CreateIfNotExistsAsync();

        await queue.SendMessageAsync("definitely not an event");
        await queue.SendMessageAsync(KeyVaultEvents.NewVersion(WorkflowHarness.ServicePrincipalSecretName, "0123456789abcdef0123456789abcdef"));

        AccountRecord? record = await Eventually.UntilAsync(
            async () => (await harness.Table.GetEntityIfExistsAsync<AccountRecord>("prod", "queueacct")).Value,
            r => r?.LastTrigger == "SecretRotated" && r.Status == OnboardingStatus.Connected,
            () => harness.Host.Output,
            "the queued rotation to reconnect the account");

        Assert.Equal("SecretRotated", record?.LastTrigger);
        Assert.Equal(OnboardingStatus.Connected, record?.Status);
        Assert.Single(harness.Adobe.State.Connections);
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.False(await new QueueClient(Azurite.ConnectionString, queueName + "-poison").ExistsAsync());
        await queue.DeleteAsync();
    }
}
