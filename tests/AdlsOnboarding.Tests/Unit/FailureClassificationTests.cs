using System.Net;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Onboarding;

namespace AdlsOnboarding.Tests.Unit;

public sealed class FailureClassificationTests
{
    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(412, false)]
    public void FromResponse_Status_ClassifiedTransientOrPermanent(int status, bool transient)
    {
        AdobeServiceException ex = AdobeServiceException.FromResponse("Create connection", (HttpStatusCode)status, null, TimeSpan.FromSeconds(7));

        Assert.Equal(transient, ex.IsTransient);
        Assert.Equal(transient ? TimeSpan.FromSeconds(7) : null, ex.RetryAfter);
    }

    [Fact]
    public void ParseErrorBody_FlowServiceError_ReadsCodeAndDetail()
    {
        const string body = """{"type":"https://ns.adobe.com/aep/errors/FLOW-1415-400","title":"Invalid auth spec name","status":400,"report":{"detailed-message":"specName mismatch","request-id":"r1"}}""";

        (string code, string message) = AdobeServiceException.ParseErrorBody(400, body);

        Assert.Equal("1415-400", code);
        Assert.Equal("Invalid auth spec name: specName mismatch", message);
    }

    [Fact]
    public void ParseErrorBody_GatewayError_ReadsErrorCode()
    {
        (string code, string message) = AdobeServiceException.ParseErrorBody(401, """{"error_code":"401013","message":"Oauth token is not valid"}""");

        Assert.Equal("401013", code);
        Assert.Equal("Oauth token is not valid", message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("<html>gateway timeout</html>")]
    [InlineData("[1,2]")]
    public void ParseErrorBody_UnreadableBody_KeepsStatusAsCode(string? body)
    {
        Assert.Equal("502", AdobeServiceException.ParseErrorBody(502, body).Code);
    }

    [Fact]
    public void Parse_FormattedFailure_RoundTrips()
    {
        OnboardingFailureException failure = new("1103-503", "Create connection failed (503): try again", isTransient: true, TimeSpan.FromSeconds(12.5));

        ParsedFailure parsed = OnboardingFailureException.Parse(failure.Message);

        Assert.Equal(new ParsedFailure("1103-503", "Create connection failed (503): try again", true, TimeSpan.FromSeconds(12.5)), parsed);
    }

    [Fact]
    public void Parse_UnclassifiedMessage_IsTransientUnexpected()
    {
        ParsedFailure parsed = OnboardingFailureException.Parse("Object reference not set to an instance of an object.");

        Assert.True(parsed.IsTransient);
        Assert.Equal("Unexpected", parsed.Code);
    }

    [Theory]
    [InlineData(2, null, 1000)]
    [InlineData(3, null, 2000)]
    [InlineData(5, null, 5000)]
    [InlineData(2, 30000, 30000)]
    [InlineData(5, 100, 5000)]
    public void DelayBefore_BackoffAndRetryAfter_TakesTheLonger(int nextAttempt, int? retryAfterMs, int expectedMs)
    {
        OnboardingRetrySettings settings = new(10, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1));

        TimeSpan delay = DurableRetry.DelayBefore(nextAttempt, settings, retryAfterMs is null ? null : TimeSpan.FromMilliseconds(retryAfterMs.Value));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), delay);
    }
}
