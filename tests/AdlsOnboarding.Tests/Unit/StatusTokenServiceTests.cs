using AdlsOnboarding.Api;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AdlsOnboarding.Tests.Unit;

public sealed class StatusTokenServiceTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-28T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly StatusTokenService _tokens;

    public StatusTokenServiceTests() => _tokens = Service(Convert.ToBase64String(new byte[32]));

    private StatusTokenService Service(string key) =>
        new(Options.Create(new ApiOptions { StatusTokenKey = key, StatusTokenLifetime = TimeSpan.FromMinutes(15) }), _time);

    [Fact]
    public void IsValid_FreshToken_AcceptedForItsInstanceOnly()
    {
        string token = _tokens.Issue("onboard-prod-a");

        Assert.True(_tokens.IsValid("onboard-prod-a", token));
        Assert.False(_tokens.IsValid("onboard-prod-b", token));
    }

    [Fact]
    public void IsValid_AfterLifetime_Rejected()
    {
        string token = _tokens.Issue("onboard-prod-a");
        _time.Advance(TimeSpan.FromMinutes(15));

        Assert.False(_tokens.IsValid("onboard-prod-a", token));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("99999999999.AAAA")]
    public void IsValid_MissingOrForged_Rejected(string? token) => Assert.False(_tokens.IsValid("onboard-prod-a", token));

    [Fact]
    public void IsValid_ExtendedExpiryOrOtherKey_Rejected()
    {
        string token = _tokens.Issue("onboard-prod-a");
        string[] parts = token.Split('.');
        string extended = $"{long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) + 3600}.{parts[1]}";

        Assert.False(_tokens.IsValid("onboard-prod-a", extended));
        Assert.False(Service(Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray())).IsValid("onboard-prod-a", token));
    }
}
