using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Net;
using AdlsOnboarding.Simulator.BlobStorage;
using AdlsOnboarding.Simulator.Entra;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Preflight;
using Azure.Core.Diagnostics;

namespace AdlsOnboarding.Tests.Preflight;

/// <summary>
/// What the pre-flight must never do, whatever the outcome: let a key, a token or a container name out (in its
/// result, its exceptions, its log lines, its spans or the Azure SDK's own event-source logs), or send anything to
/// an address that is not loopback when configuration points it at the stand-in.
/// </summary>
public sealed class PreflightHygieneTests : IAsyncLifetime
{
    private PreflightHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await PreflightHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    /// <summary>One pre-flight per outcome, each with its own key, on a fresh arrangement of the stand-in.</summary>
    private IEnumerable<(string Name, string Key, Func<PreflightRequest> Arrange)> Scenarios()
    {
        string Fresh(string name) => $"key-{name}-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

        yield return ("passed", _harness.Key, () => _harness.Request());
        yield return ("network rules", _harness.Key, () =>
        {
            _harness.Blobs.AddAccount("firewalled", PreflightHarness.TenantId).AddContainers("hidden-behind-firewall").GrantBlobDataReader(PreflightHarness.ClientId).NetworkRulesDenyCaller = true;
            return _harness.Request(account: "firewalled");
        });
        string invalid = Fresh("invalid");
        yield return ("invalid key", invalid, () => _harness.Request(key: invalid));
        string young = Fresh("young");
        yield return ("new key", young, () =>
        {
            _harness.App.AddSecret(young, activeFrom: DateTimeOffset.UtcNow.AddHours(1));
            return _harness.Request(key: young, keyCreatedOn: _harness.Time.GetUtcNow());
        });
        string expired = Fresh("expired");
        yield return ("expired key", expired, () =>
        {
            _harness.App.AddSecret(expired, expiresOn: DateTimeOffset.UtcNow.AddDays(-1));
            return _harness.Request(key: expired);
        });
        string stranger = Fresh("stranger");
        yield return ("app not found", stranger, () => _harness.Request(key: stranger, clientId: "01234567-89ab-cdef-0123-456789abcdef"));
        string nowhere = Fresh("nowhere");
        yield return ("tenant not found", nowhere, () => _harness.Request(key: nowhere, tenant: "nowhere.onmicrosoft.com"));
        // Sign-in failures with a key of their own: the valid key's sign-in is reused since "passed" and meets no Entra answer.
        string refusedByEntra = Fresh("aadsts");
        yield return ("other AADSTS", refusedByEntra, () =>
        {
            _harness.Entra.EnqueueFault(EntraFault.Aadsts(50057, "invalid_client", "The user account is disabled."));
            return _harness.Request(key: refusedByEntra);
        });
        yield return ("role missing", _harness.Key, () =>
        {
            _harness.Blobs.AddAccount("noroleacct", PreflightHarness.TenantId).AddContainers("payroll-exports");
            return _harness.Request(account: "noroleacct");
        });
        yield return ("storage busy", _harness.Key, () =>
        {
            _harness.Blobs.EnqueueFault(BlobFault.ServerBusy(2));
            return _harness.Request();
        });
        string unreachable = Fresh("unreachable");
        yield return ("entra unreachable", unreachable, () =>
        {
            _harness.Entra.EnqueueFault(new EntraFault(EntraFaultKind.Reset));
            return _harness.Request(key: unreachable);
        });
        string disabled = Fresh("disabled");
        yield return ("disabled app", disabled, () =>
        {
            _harness.App.Disabled = true;
            return _harness.Request(key: disabled);
        });

        // Last: MSAL then holds back every sign-in of this app at this authority until the Retry-After has passed.
        string throttled = Fresh("throttled");
        yield return ("throttled", throttled, () =>
        {
            _harness.Entra.EnqueueFault(EntraFault.Throttle(3));
            return _harness.Request(key: throttled);
        });
    }

    [Fact]
    public async Task Check_EveryOutcome_NoKeyTokenOrContainerNameInResultsExceptionsLogsOrSpans()
    {
        ConcurrentQueue<string> azureSdkLogs = new();
        using AzureEventSourceListener sdkListener = new((_, message) => azureSdkLogs.Enqueue(message), EventLevel.Verbose);
        ConcurrentQueue<Activity> spans = new();
        using ActivityListener spanListener = new()
        {
            ShouldListenTo = source => source.Name == AdlsOnboarding.Workflow.Telemetry.WorkflowTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(spanListener);

        List<string> outputs = [];
        List<string> keys = [];
        List<string> outcomes = [];
        foreach ((_, string key, Func<PreflightRequest> arrange) in Scenarios())
        {
            keys.Add(key);
            try
            {
                PreflightResult result = await _harness.Checker.CheckAsync(arrange());
                outputs.Add(result.ToString());
                outputs.Add(result.Warning?.Message ?? "");
                outcomes.Add(result.Warning?.Code ?? result.Outcome.ToString());
            }
            catch (PreflightException ex)
            {
                outputs.Add(ex.ToString());
                outputs.Add(ex.OperatorMessage);
                outcomes.Add(ex.Code);
            }

            _harness.App.Disabled = false;
        }

        // Each scenario reached the branch it was written for.
        Assert.Equal(
            [
                nameof(PreflightOutcome.Passed), PreflightWarningCodes.NetworkRulesRefusedUs, PreflightErrorCodes.InvalidKey, PreflightErrorCodes.KeyNotYetAccepted,
                PreflightErrorCodes.KeyExpired, PreflightErrorCodes.AppNotFound, PreflightErrorCodes.TenantNotFound, PreflightErrorCodes.SignInRefused,
                PreflightErrorCodes.RoleMissing, PreflightErrorCodes.Throttled, PreflightErrorCodes.Unreachable, PreflightErrorCodes.AppDisabled, PreflightErrorCodes.Throttled,
            ],
            outcomes);

        string everything = string.Join("\n", outputs.Concat(_harness.Logs.Entries.Select(e => e.ToString()))
            .Concat(spans.SelectMany(s => s.TagObjects.Select(t => $"{t.Key}={t.Value}").Append(s.DisplayName).Append(s.StatusDescription ?? "")))
            .Concat(azureSdkLogs));

        // The names were there to leak: containers were listed and tokens were issued.
        Assert.Contains(_harness.Blobs.Calls, c => c.Status == 200);
        Assert.NotEmpty(_harness.Entra.IssuedTokens);
        Assert.NotEmpty(azureSdkLogs);
        string[] containerNames = ["raw-landing-zone", "secret-project-x", "hidden-behind-firewall", "payroll-exports"];
        foreach (string secret in keys.Concat(_harness.Entra.IssuedTokens).Concat(containerNames))
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Check_AuthorityAndBlobEndpointFromConfiguration_NothingSentBeyondLoopback()
    {
        ConcurrentQueue<Uri> requests = new();
        using Activity test = new("preflight-loopback-test");
        test.SetIdFormat(ActivityIdFormat.W3C);
        using ActivityListener httpListener = new()
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            // HttpClient sets url.full once the request is under way: read it when the request ends.
            ActivityStopped = activity =>
            {
                if (activity.TraceId == test.TraceId && activity.GetTagItem("url.full") is string url)
                {
                    requests.Enqueue(new Uri(url));
                }
            },
        };
        ActivitySource.AddActivityListener(httpListener);

        test.Start();
        Exception? passing = await Record.ExceptionAsync(() => _harness.Checker.CheckAsync(_harness.Request()));
        Exception? failing = await Record.ExceptionAsync(() => _harness.Checker.CheckAsync(_harness.Request(key: "wrong-key")));
        test.Stop();

        Assert.NotEmpty(requests);
        Assert.All(requests, uri => Assert.True(IPAddress.TryParse(uri.Host, out IPAddress? address) && IPAddress.IsLoopback(address), $"{uri} is not loopback"));
        Assert.All(requests, uri => Assert.Equal(_harness.StandIn.BaseAddress.Port, uri.Port));

        // Every request the stand-in received was seen leaving this process: a token request and a listing, then a
        // refused token request.
        Assert.Null(passing);
        Assert.Equal(PreflightErrorCodes.InvalidKey, Assert.IsType<PreflightException>(failing).Code);
        Assert.Equal(3, requests.Count);
        Assert.Equal(_harness.Entra.Calls.Count + _harness.Blobs.Calls.Count, requests.Count);
    }
}
