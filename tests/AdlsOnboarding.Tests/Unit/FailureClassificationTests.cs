using System.Net;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Failures;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using AdlsOnboarding.Workflow.Storage;
using Microsoft.DurableTask;

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
    public void Read_PropertiesAndAContradictingMessage_PropertiesWin()
    {
        TaskFailureDetails details = new(
            typeof(AdobeServiceException).FullName!,
            FailureMessage.Format("Old", isTransient: false, retryAfter: null, "Create connection failed (503): try again"),
            null,
            null,
            new ClassifiedFailure("1103-503", "ignored", true, TimeSpan.FromSeconds(12.5)).ToProperties());

        (ClassifiedFailure failure, FailureSource source) = ClassifiedFailure.Read(details);

        Assert.Equal(FailureSource.Properties, source);
        Assert.Equal(new ClassifiedFailure("1103-503", "Create connection failed (503): try again", true, TimeSpan.FromSeconds(12.5)), failure);
    }

    [Fact]
    public void Read_PropertiesAsTheWireReturnsThem_NumbersAsDoubles()
    {
        // Protobuf carries every number as a double; a host that stores JSON may hand back JSON elements.
        Dictionary<string, object?> wire = new() { ["code"] = "429050", ["transient"] = true, ["retryAfterMs"] = 3000d };
        Dictionary<string, object?> json = new()
        {
            ["code"] = System.Text.Json.JsonDocument.Parse("\"429050\"").RootElement,
            ["transient"] = System.Text.Json.JsonDocument.Parse("true").RootElement,
            ["retryAfterMs"] = System.Text.Json.JsonDocument.Parse("3000").RootElement,
        };

        foreach (Dictionary<string, object?> properties in new[] { wire, json })
        {
            ClassifiedFailure failure = ClassifiedFailure.Of(new TaskFailureDetails("X", "throttled", null, null, properties));

            Assert.Equal(new ClassifiedFailure("429050", "throttled", true, TimeSpan.FromSeconds(3)), failure);
        }
    }

    [Fact]
    public void Read_PropertiesOnAnInnerFailure_Found()
    {
        TaskFailureDetails inner = new("X", "inner", null, null, new ClassifiedFailure("SecretExpired", "d", false, null).ToProperties());

        (ClassifiedFailure failure, FailureSource source) = ClassifiedFailure.Read(new TaskFailureDetails("Wrapper", "wrapped", null, inner, null));

        Assert.Equal(FailureSource.Properties, source);
        Assert.Equal("SecretExpired", failure.Code);
        Assert.False(failure.IsTransient);
    }

    [Fact]
    public void Read_NoPropertiesButThePrefix_FallsBackToTheMessage()
    {
        // What an instance's history written before the properties existed carries.
        OnboardingFailureException old = new("1103-503", "Create connection failed (503): try again", isTransient: true, TimeSpan.FromSeconds(12.5));

        (ClassifiedFailure failure, FailureSource source) = ClassifiedFailure.Read(new TaskFailureDetails("X", old.Message, null, null, null));

        Assert.Equal(FailureSource.Message, source);
        Assert.Equal(new ClassifiedFailure("1103-503", "Create connection failed (503): try again", true, TimeSpan.FromSeconds(12.5)), failure);
    }

    [Fact]
    public void Read_NeitherPropertiesNorPrefix_TransientUnexpected()
    {
        (ClassifiedFailure failure, FailureSource source) = ClassifiedFailure.Read(new TaskFailureDetails("System.NullReferenceException", "Object reference not set to an instance of an object.", null, null, null));

        Assert.Equal(FailureSource.Unclassified, source);
        Assert.True(failure.IsTransient);
        Assert.Equal(ClassifiedFailure.UnexpectedCode, failure.Code);
    }

    public static TheoryData<Exception, string, bool, long> ClientFailures() => new()
    {
        { AdobeServiceException.FromResponse("Create connection", HttpStatusCode.TooManyRequests, null, TimeSpan.FromSeconds(7)), "429", true, 7000 },
        { AdobeServiceException.FromResponse("Create connection", HttpStatusCode.BadRequest, """{"error_code":"1415-400","message":"bad"}""", null), "1415-400", false, 0 },
        { new SecretStoreException(SecretErrorCodes.Unavailable, "Key Vault did not answer", isTransient: true, TimeSpan.FromSeconds(9)), SecretErrorCodes.Unavailable, true, 9000 },
        { SecretStoreException.Unusable(SecretErrorCodes.Expired, "sp", "expired"), SecretErrorCodes.Expired, false, 0 },
        { new AccountStoreException(new Azure.RequestFailedException(503, "busy", "ServerBusy", null)), AccountStoreException.ErrorCode, true, 0 },
        { new AccountStoreException(new Azure.RequestFailedException(400, "bad", "InvalidInput", null)), AccountStoreException.ErrorCode, false, 0 },
        { new OnboardingFailureException(ConnectionReconciler.CreateInProgressCode, "wait", isTransient: true, TimeSpan.FromSeconds(2)), ConnectionReconciler.CreateInProgressCode, true, 2000 },
    };

    [Theory]
    [MemberData(nameof(ClientFailures))]
    public void Provider_EachClientsException_MapsToCodeTransientRetryAfter(Exception exception, string code, bool transient, long retryAfterMs)
    {
        IDictionary<string, object?> properties = new FailurePropertiesProvider().GetExceptionProperties(exception)!;

        Assert.Equal(code, properties["code"]);
        Assert.Equal(transient, properties["transient"]);
        Assert.Equal(retryAfterMs, properties["retryAfterMs"]);
        // The message still carries the same classification, for readers that see only the message.
        Assert.Equal((code, transient), (ClassifiedFailure.FromMessage(exception.Message).Failure.Code, ClassifiedFailure.FromMessage(exception.Message).Failure.IsTransient));
    }

    [Fact]
    public void Provider_OtherException_NoProperties()
    {
        Assert.Null(new FailurePropertiesProvider().GetExceptionProperties(new InvalidOperationException("bug")));
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
