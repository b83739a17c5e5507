using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Api;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Registry;
using AdlsOnboarding.Workflow.Storage;

namespace AdlsOnboarding.Tests.Workflow;

/// <summary>The registry sweep: registered accounts get onboarded once, failures are retried only when they should be.</summary>
public sealed class RegistrySweepTests
{
    private static async Task<WorkflowHarness> StartAsync(Action<Dictionary<string, string?>>? configure = null) =>
        await WorkflowHarness.StartAsync(s =>
        {
            s["Sweep:RetryBackoff"] = "00:00:01";
            configure?.Invoke(s);
        });

    private static async Task RegisterAsync(WorkflowHarness harness, string account, string? description = null)
    {
        OnboardingRequest request = WorkflowHarness.Request(account) with { Description = description };
        Assert.True(harness.Host.Services.GetService<OnboardingRequestValidator>().TryValidate(request, out ValidOnboardingRequest? valid, out _));
        await harness.Host.Services.GetService<AccountRegistry>().RegisterAsync(harness.Client, valid);
    }

    private static Task<SweepReport> SweepAsync(WorkflowHarness harness) =>
        harness.Host.Services.GetService<RegistrySweeper>().SweepAsync(harness.Client);

    [Fact]
    public async Task Sweep_RegisteredAccounts_OnboardsEachOnceAndThenHasNothingDue()
    {
        await using WorkflowHarness harness = await StartAsync();
        string[] accounts = ["sweepone", "sweeptwo", "sweepthree"];
        foreach (string account in accounts)
        {
            await RegisterAsync(harness, account);
        }

        SweepReport first = await SweepAsync(harness);
        foreach (string account in accounts)
        {
            await harness.WaitAsync($"onboard-prod-{account}");
        }

        SweepReport second = await SweepAsync(harness);

        Assert.Equal(3, first.Due);
        Assert.Equal(3, first.Started);
        Assert.Equal(0, second.Due);
        Assert.Equal(3, harness.Adobe.State.Connections.Count);
        foreach (string account in accounts)
        {
            Assert.Equal(OnboardingStatus.Connected, (await harness.RecordAsync("prod", account))!.Status);
        }
    }

    [Fact]
    public async Task Sweep_KeyConfinedToTheSandbox_OnboardsAndRotatesWithTheRecordsSandbox()
    {
        // Red team follow-up: the sweep reads keys for a record (its drift check) and must bind them to the record's
        // sandbox too, or a key confined by adls-onboarding-sandboxes would look unbound to it and never rotate.
        await using WorkflowHarness harness = await StartAsync();
        Dictionary<string, string> tags = WorkflowHarness.BoundTags();
        tags[AdlsOnboarding.Workflow.Secrets.SecretBindingTags.Sandboxes] = "prod";
        harness.RotateServicePrincipalKey(tags: tags);
        await RegisterAsync(harness, "sweepsandbox");
        await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-sweepsandbox");
        Assert.Equal(OnboardingStatus.Connected, (await harness.RecordAsync("prod", "sweepsandbox"))!.Status);

        harness.RotateServicePrincipalKey(tags: tags);
        SweepReport report = await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-sweepsandbox");

        Assert.Equal(1, report.Rotations);
        Assert.Equal(harness.ServicePrincipalKey, Assert.Single(harness.Adobe.State.Connections).Auth.ServicePrincipalKey);
    }

    [Fact]
    public async Task Sweep_MoreDueThanTheLimit_StartsTheLimitAndDefersTheRest()
    {
        await using WorkflowHarness harness = await StartAsync(s => s["Sweep:MaxStartsPerSweep"] = "2");
        foreach (string account in new[] { "limitone", "limittwo", "limitthree" })
        {
            await RegisterAsync(harness, account);
        }

        SweepReport report = await SweepAsync(harness);

        Assert.Equal(2, report.Started);
        Assert.Equal(1, report.Deferred);
    }

    [Fact]
    public async Task Sweep_PermanentFailure_NotRetriedUntilTheRegistrationChanges()
    {
        await using WorkflowHarness harness = await StartAsync();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Status, 400, Code: "1415-400"));
        await RegisterAsync(harness, "permfail");
        await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-permfail");
        AccountRecord failed = (await harness.RecordAsync("prod", "permfail"))!;

        await Task.Delay(1200);
        SweepReport later = await SweepAsync(harness);
        await RegisterAsync(harness, "permfail", description: "fixed");
        SweepReport afterChange = await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-permfail");

        Assert.Equal(OnboardingStatus.Failed, failed.Status);
        Assert.False(failed.ErrorTransient);
        Assert.Equal(0, later.Due);
        Assert.Equal(1, afterChange.Started);
        Assert.Equal(OnboardingStatus.Connected, (await harness.RecordAsync("prod", "permfail"))!.Status);
        Assert.Equal(2, harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Create));
    }

    [Fact]
    public async Task Sweep_TransientFailure_RetriedOnceDue()
    {
        // The sweep right after the failure must come before the failure is due again: with the suite's 1 s backoff
        // that held only if the end of the onboarding, a record read and the sweep took less than 1 s.
        await using WorkflowHarness harness = await StartAsync(s =>
        {
            s["Onboarding:MaxAttempts"] = "1";
            s["Sweep:RetryBackoff"] = "00:00:15";
        });
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, SimulatedFault.Unavailable());
        await RegisterAsync(harness, "transient");
        await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-transient");
        AccountRecord failed = (await harness.RecordAsync("prod", "transient"))!;

        SweepReport tooEarly = await SweepAsync(harness);
        TimeSpan untilDue = failed.NextAttemptAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        await Task.Delay(untilDue > TimeSpan.Zero ? untilDue : TimeSpan.Zero);
        SweepReport due = await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-transient");

        Assert.Equal(OnboardingStatus.Failed, failed.Status);
        Assert.True(failed.ErrorTransient);
        Assert.Equal("1103-503", failed.ErrorCode);
        Assert.Equal(0, tooEarly.Due);
        Assert.Equal(1, due.Started);
        Assert.Equal(OnboardingStatus.Connected, (await harness.RecordAsync("prod", "transient"))!.Status);
        Assert.Single(harness.Adobe.State.Connections);
    }

    [Fact]
    public async Task Sweep_WhileTheSameOnboardingRuns_JoinsInsteadOfStartingAnother()
    {
        await using WorkflowHarness harness = await StartAsync();
        harness.Adobe.State.EnqueueFault(SimulatedOperation.Create, new SimulatedFault(FaultKind.Delay, Delay: TimeSpan.FromSeconds(2)));
        await RegisterAsync(harness, "joined");
        SweepReport first = await SweepAsync(harness);

        SweepReport second = await SweepAsync(harness);
        await harness.WaitAsync("onboard-prod-joined");

        Assert.Equal(1, first.Started);
        Assert.Equal(0, second.Started);
        // Either the record already says Onboarding (not due), or the sweep found the same request running and joined it.
        Assert.True(second.Due == 0 || second.Joined + second.Running == 1, second.ToString());
        Assert.Single(harness.Adobe.State.Connections);
    }

    [Fact]
    public async Task Sweep_StoredRegistrationNamingTheAppsOwnSecret_NotStartedAndMarkedInvalid()
    {
        // Written before the rule existed (or straight into the table): the sweep re-checks it and does not read the
        // IMS client secret as a service principal's key.
        await using WorkflowHarness harness = await StartAsync();
        ValidOnboardingRequest stored = new(
            "https://ownsecret.dfs.core.windows.net", "ownsecret", "11111111-2222-3333-4444-555555555555", "contoso.onmicrosoft.com",
            WorkflowHarness.ImsSecretName, null, "prod", "adls-gen2-ownsecret", "stored before the rule");
        await harness.Host.Services.GetService<AccountRegistry>().RegisterAsync(harness.Client, stored);

        SweepReport report = await SweepAsync(harness);

        Assert.Equal(1, report.Invalid);
        Assert.Equal(0, report.Started);
        Assert.Null(await harness.Client.GetInstanceAsync("onboard-prod-ownsecret"));
        Assert.Empty(harness.Adobe.State.Calls);
        AccountRecord record = (await harness.RecordAsync("prod", "ownsecret"))!;
        Assert.Equal(OnboardingStatus.Failed, record.Status);
        Assert.Equal("InvalidRegistration", record.ErrorCode);
    }
}
