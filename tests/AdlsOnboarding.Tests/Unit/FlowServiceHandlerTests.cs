using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using AdlsOnboarding.Simulator.Adobe;
using AdlsOnboarding.Tests.Infrastructure;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// Each handler of the Flow Service client's pipeline on its own, over a scripted inner handler that records what
/// reaches the wire. Tokens come from the real <see cref="ImsTokenProvider"/> against the IMS simulator.
/// </summary>
public sealed class FlowServiceHandlerTests
{
    // A deadline for "completes at all", never a measured duration.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private static HttpRequestMessage Request(HttpMethod method, string body, string sandbox = "dev", SensitiveString? secret = null)
    {
        HttpRequestMessage request = new(method, "https://platform.test/data/foundation/flowservice/connections")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Options.Set(FlowServiceRequest.Operation, "Create connection");
        request.Options.Set(FlowServiceRequest.Sandbox, sandbox);
        if (secret is not null)
        {
            request.Options.Set(FlowServiceRequest.CarriedSecret, secret);
        }

        return request;
    }

    private static async Task<HttpResponseMessage> SendAsync(DelegatingHandler handler, HttpRequestMessage request)
    {
        using HttpMessageInvoker invoker = new(handler, disposeHandler: false);
        return await invoker.SendAsync(request, CancellationToken.None).WaitAsync(Generous);
    }

    [Fact]
    public async Task HeadersHandler_AnyRequest_SendsAdobesFiveHeadersExactly()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        AdobeOptions settings = harness.Get<IOptions<AdobeOptions>>().Value;
        ScriptedHandler wire = new(HttpStatusCode.Created);
        using AdobeHeadersHandler handler = new(harness.Get<ImsTokenProvider>(), harness.Get<IOptions<AdobeOptions>>()) { InnerHandler = wire };

        using HttpResponseMessage response = await SendAsync(handler, Request(HttpMethod.Post, """{"name":"x"}""", sandbox: "prod"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        SentRequest sent = Assert.Single(wire.Sent);
        string token = Assert.Single(harness.Adobe.State.IssuedTokens);
        Assert.Equal(["Bearer " + token], sent.Headers["Authorization"]);
        Assert.Equal([settings.ClientId], sent.Headers["x-api-key"]);
        Assert.Equal([settings.OrgId], sent.Headers["x-gw-ims-org-id"]);
        Assert.Equal(["prod"], sent.Headers["x-sandbox-name"]);
        Assert.Equal(["application/json"], sent.Headers["Content-Type"]);
        Assert.Equal("""{"name":"x"}""", sent.Body);
    }

    [Fact]
    public async Task HeadersHandler_GatewayRejectsTheTokenOnce_RenewsItAndResendsTheBodyIntact()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        ScriptedHandler wire = new(HttpStatusCode.Unauthorized, HttpStatusCode.Created);
        using AdobeHeadersHandler handler = new(harness.Get<ImsTokenProvider>(), harness.Get<IOptions<AdobeOptions>>()) { InnerHandler = wire };
        const string Body = """{"name":"adls-gen2-acct1","auth":{"params":{"servicePrincipalKey":"k~é\"+"}}}""";

        using HttpResponseMessage response = await SendAsync(handler, Request(HttpMethod.Post, Body));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, wire.Sent.Count);
        Assert.All(wire.Sent, sent => Assert.Equal(Body, sent.Body));
        Assert.All(wire.Sent, sent => Assert.Equal(["application/json"], sent.Headers["Content-Type"]));
        Assert.All(wire.Sent, sent => Assert.Equal(["dev"], sent.Headers["x-sandbox-name"]));
        Assert.NotEqual(wire.Sent[0].Headers["Authorization"], wire.Sent[1].Headers["Authorization"]);
        Assert.Equal(2, harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Token));
    }

    [Fact]
    public async Task HeadersHandler_GatewayRejectsTheRenewedTokenToo_HandsBackThe401WithoutAThirdTry()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        ScriptedHandler wire = new(HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Created);
        using AdobeHeadersHandler handler = new(harness.Get<ImsTokenProvider>(), harness.Get<IOptions<AdobeOptions>>()) { InnerHandler = wire };

        using HttpResponseMessage response = await SendAsync(handler, Request(HttpMethod.Get, ""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, wire.Sent.Count);
        Assert.Equal(2, harness.Adobe.State.Calls.Count(c => c.Operation == SimulatedOperation.Token));
    }

    [Fact]
    public async Task HeadersHandler_GatewayRejection_SecondFailsTheClientCallAsPermanent401()
    {
        await using ClientHarness harness = await ClientHarness.StartAsync();
        ScriptedHandler wire = new(HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized);
        using AdobeHeadersHandler handler = new(harness.Get<ImsTokenProvider>(), harness.Get<IOptions<AdobeOptions>>()) { InnerHandler = wire };
        using HttpClient http = new(handler) { BaseAddress = new Uri("https://platform.test/data/foundation/flowservice/") };
        FlowServiceClient client = new(http, harness.Get<IOptions<AdobeOptions>>(), TimeProvider.System, NullLogger<FlowServiceClient>.Instance);

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => client.DeleteConnectionAsync("dev", "c1").WaitAsync(Generous));

        Assert.Equal(401, ex.Status);
        Assert.Equal("401013", ex.Code);
        Assert.False(ex.IsTransient);
        Assert.Equal(2, wire.Sent.Count);
    }

    [Fact]
    public async Task TrafficGateHandler_Throttled_PausesEverySenderWithAdobesCodeAndDelay()
    {
        FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        using AdobeTrafficGate gate = new(Options.Create(new AdobeOptions { MaxConcurrentCalls = 1, MaxCallsPerSecond = 0, MaxInProcessPauseSeconds = 5 }), time);
        ScriptedHandler wire = new(new ScriptedAnswer(HttpStatusCode.TooManyRequests, """{"error_code":"429050","message":"Too many requests"}""", RetryAfterSeconds: 3600));
        using AdobeTrafficGateHandler handler = new(gate, time) { InnerHandler = wire };

        using HttpResponseMessage response = await SendAsync(handler, Request(HttpMethod.Get, ""));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromHours(1), gate.PausedUntil);
        AdobeServiceException heldBack = await Assert.ThrowsAsync<AdobeServiceException>(() => SendAsync(handler, Request(HttpMethod.Get, "")));
        Assert.Equal("429050", heldBack.Code);
        Assert.False(heldBack.RequestMayHaveSucceeded);
        Assert.Single(wire.Sent);
    }

    [Fact]
    public async Task TrafficGateHandler_OverloadedWithoutRetryAfter_NoPause()
    {
        FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        using AdobeTrafficGate gate = new(Options.Create(new AdobeOptions { MaxConcurrentCalls = 1, MaxCallsPerSecond = 0 }), time);
        using AdobeTrafficGateHandler handler = new(gate, time) { InnerHandler = new ScriptedHandler(HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK) };

        using HttpResponseMessage overloaded = await SendAsync(handler, Request(HttpMethod.Get, ""));
        using HttpResponseMessage next = await SendAsync(handler, Request(HttpMethod.Get, ""));

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.True(gate.PausedUntil <= time.GetUtcNow());
    }

    [Fact]
    public async Task TrafficGateHandler_OneSlot_SecondCallWaitsForTheFirstToEnd()
    {
        using AdobeTrafficGate gate = new(Options.Create(new AdobeOptions { MaxConcurrentCalls = 1, MaxCallsPerSecond = 0 }), TimeProvider.System);
        ScriptedHandler wire = new(HttpStatusCode.OK, HttpStatusCode.OK) { Hold = new TaskCompletionSource() };
        using AdobeTrafficGateHandler handler = new(gate, TimeProvider.System) { InnerHandler = wire };

        Task<HttpResponseMessage> first = SendAsync(handler, Request(HttpMethod.Get, ""));
        await Eventually.UntilAsync(() => wire.Sent.Count == 1, () => "", "the first call on the wire");
        Task<HttpResponseMessage> second = SendAsync(handler, Request(HttpMethod.Get, ""));
        await Task.Delay(200);
        Assert.False(second.IsCompleted);
        Assert.Single(wire.Sent);
        wire.Hold.SetResult();

        (await first).Dispose();
        (await second).Dispose();
        Assert.Equal(2, wire.Sent.Count);
    }

    [Fact]
    public async Task RedactionHandler_ErrorQuotingTheCarriedKey_ReadWithoutIt()
    {
        SensitiveString key = new("spk~se<cr>et\"+é");
        string quoted = $"{JsonEncodedText.Encode(key.Reveal())} / {key.Reveal()} / {JsonEncodedText.Encode(key.Reveal(), System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}";
        string echoed = "{\"title\":\"bad request\",\"detail\":\"echoed: " + quoted + "\"}";
        using SecretRedactionHandler handler = new() { InnerHandler = new ScriptedHandler(new ScriptedAnswer(HttpStatusCode.BadRequest, echoed)) };

        using HttpResponseMessage response = await SendAsync(handler, Request(HttpMethod.Post, "{}", secret: key));
        string read = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("se<cr>et", read, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u003Ccr\\u003Eet", read, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3, read.Split("[redacted]").Length - 1);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task RedactionHandler_NoCarriedKeyOrSuccess_BodyUntouched()
    {
        using SecretRedactionHandler errors = new() { InnerHandler = new ScriptedHandler(new ScriptedAnswer(HttpStatusCode.BadRequest, """{"title":"spk~x"}""")) };
        using SecretRedactionHandler successes = new() { InnerHandler = new ScriptedHandler(new ScriptedAnswer(HttpStatusCode.Created, """{"id":"spk~x"}""")) };

        using HttpResponseMessage error = await SendAsync(errors, Request(HttpMethod.Get, ""));
        using HttpResponseMessage success = await SendAsync(successes, Request(HttpMethod.Post, "{}", secret: new SensitiveString("spk~x")));

        Assert.Equal("""{"title":"spk~x"}""", await error.Content.ReadAsStringAsync());
        Assert.Equal("""{"id":"spk~x"}""", await success.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CallHandler_BodyNeverEnds_TimesOutAsPossiblyCarriedOut()
    {
        AdobeOptions settings = new() { RequestTimeout = TimeSpan.FromSeconds(1) };
        using FlowServiceCallHandler handler = new(Options.Create(settings), new WorkflowMetrics(Meters()), TimeProvider.System, NullLogger<FlowServiceClient>.Instance)
        {
            InnerHandler = new ScriptedHandler(new ScriptedAnswer(HttpStatusCode.OK, null, BodyNeverEnds: true)),
        };

        AdobeServiceException ex = await Assert.ThrowsAsync<AdobeServiceException>(() => SendAsync(handler, Request(HttpMethod.Post, "{}")));

        Assert.Equal("Timeout", ex.Code);
        Assert.Equal(0, ex.Status);
        Assert.True(ex.IsTransient);
        Assert.True(ex.RequestMayHaveSucceeded);
    }

    [Fact]
    public async Task Client_CreateAndUpdate_BodiesCarryTheRealKeyInAdobesShape()
    {
        ScriptedHandler wire = new(new ScriptedAnswer(HttpStatusCode.Created, """{"id":"c1","etag":"\"e1\""}"""), new ScriptedAnswer(HttpStatusCode.OK, """{"id":"c1","etag":"\"e2\""}"""));
        using HttpClient http = new(wire) { BaseAddress = new Uri("https://platform.test/data/foundation/flowservice/") };
        FlowServiceClient client = new(http, Options.Create(new AdobeOptions()), TimeProvider.System, NullLogger<FlowServiceClient>.Instance);
        AdlsGen2AuthParams auth = new("https://acct1.dfs.core.windows.net", "11111111-2222-3333-4444-555555555555", new SensitiveString("spk~real+key"), "contoso.onmicrosoft.com");

        ConnectionIds created = await client.CreateConnectionAsync("dev", new AdlsGen2ConnectionSpec("adls-gen2-acct1", "test", auth));
        ConnectionIds updated = await client.UpdateConnectionAsync("dev", created.Id, created.Etag, auth, "renamed");

        Assert.Equal(new ConnectionIds("c1", "\"e1\""), created);
        Assert.Equal("\"e2\"", updated.Etag);
        using JsonDocument create = JsonDocument.Parse(wire.Sent[0].Body);
        Assert.Equal(
            """{"name":"adls-gen2-acct1","description":"test","auth":{"specName":"Basic Authentication for adls-gen2","params":{"url":"https://acct1.dfs.core.windows.net","servicePrincipalId":"11111111-2222-3333-4444-555555555555","servicePrincipalKey":"spk~real+key","tenant":"contoso.onmicrosoft.com"}},"connectionSpec":{"id":"b3ba5556-48be-44b7-8b85-ff2b69b46dc4","version":"1.0"}}""",
            JsonSerializer.Serialize(create.RootElement, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        using JsonDocument patch = JsonDocument.Parse(wire.Sent[1].Body);
        Assert.Equal(
            """[{"op":"replace","path":"/auth/params","value":{"url":"https://acct1.dfs.core.windows.net","servicePrincipalId":"11111111-2222-3333-4444-555555555555","servicePrincipalKey":"spk~real+key","tenant":"contoso.onmicrosoft.com"}},{"op":"replace","path":"/name","value":"renamed"}]""",
            JsonSerializer.Serialize(patch.RootElement, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.Equal(["\"e1\""], wire.Sent[1].Headers["If-Match"]);
        Assert.Equal("PATCH", wire.Sent[1].Method);
        Assert.Equal("https://platform.test/data/foundation/flowservice/connections/c1", wire.Sent[1].Uri);
    }

    [Fact]
    public void SensitiveString_DefaultJson_RefusedBothWays()
    {
        SensitiveString key = new("spk~never-json");
        AdlsGen2AuthParams auth = new("https://acct1.dfs.core.windows.net", "id", key, "tenant");

        Exception alone = Assert.ThrowsAny<Exception>(() => JsonSerializer.Serialize(key));
        Exception inRecord = Assert.ThrowsAny<Exception>(() => JsonSerializer.Serialize(auth));
        Exception web = Assert.ThrowsAny<Exception>(() => JsonSerializer.Serialize(auth, JsonSerializerOptions.Web));
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<SensitiveString>("\"spk~x\""));

        Assert.All([alone, inRecord, web], ex => Assert.DoesNotContain("spk~never-json", ex.ToString(), StringComparison.Ordinal));
    }

    private static IMeterFactory Meters() => new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    private sealed record ScriptedAnswer(HttpStatusCode Status, string? Body = null, int? RetryAfterSeconds = null, bool BodyNeverEnds = false);

    private sealed record SentRequest(string Method, string Uri, Dictionary<string, string[]> Headers, string Body);

    /// <summary>Answers with the scripted statuses in turn (the last one repeats) and records every request it gets.</summary>
    private sealed class ScriptedHandler(params ScriptedAnswer[] answers) : HttpMessageHandler
    {
        private int _next;

        public ScriptedHandler(params HttpStatusCode[] statuses)
            : this(statuses.Select(s => new ScriptedAnswer(s, s == HttpStatusCode.Unauthorized ? """{"error_code":"401013","message":"Oauth token is not valid"}""" : "{}")).ToArray())
        {
        }

        public List<SentRequest> Sent { get; } = [];

        public TaskCompletionSource? Hold { get; init; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            Dictionary<string, string[]> headers = new(StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, IEnumerable<string>> header in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
            {
                headers[header.Key] = [.. header.Value];
            }

            lock (Sent)
            {
                Sent.Add(new SentRequest(request.Method.Method, request.RequestUri!.AbsoluteUri, headers, body));
            }

            if (Hold is not null)
            {
                await Hold.Task.WaitAsync(cancellationToken);
            }

            ScriptedAnswer answer = answers[Math.Min(Interlocked.Increment(ref _next) - 1, answers.Length - 1)];
            HttpResponseMessage response = new(answer.Status)
            {
                Content = answer.BodyNeverEnds ? new StreamContent(new NeverEndingStream()) : new StringContent(answer.Body ?? "", Encoding.UTF8, "application/json"),
            };
            if (answer.RetryAfterSeconds is { } seconds)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
            }

            return response;
        }
    }

    /// <summary>A response body whose first read never completes (until cancelled).</summary>
    private sealed class NeverEndingStream : MemoryStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
