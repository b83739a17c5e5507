using AdlsOnboarding.Workflow.Onboarding;

namespace AdlsOnboarding.Tests.Unit;

public sealed class OnboardingRequestValidatorTests
{
    private static OnboardingRequest Valid() => new(
        "https://contosodata.dfs.core.windows.net", "11111111-2222-3333-4444-555555555555", "contoso.onmicrosoft.com",
        "sp-key", null, "prod", null, null);

    [Fact]
    public void TryValidate_ValidRequest_NormalisesAndDerivesStableName()
    {
        OnboardingRequest request = Valid() with { StorageAccountUrl = "https://contosodata.dfs.core.windows.net/", Tenant = "CONTOSO.onmicrosoft.com", ClientId = "11111111-2222-3333-4444-55555555555A" };

        Assert.True(OnboardingRequestValidator.TryValidate(request, out ValidOnboardingRequest? valid, out _));
        Assert.Equal("https://contosodata.dfs.core.windows.net", valid!.StorageAccountUrl);
        Assert.Equal("contosodata", valid.AccountName);
        Assert.Equal("contoso.onmicrosoft.com", valid.Tenant);
        Assert.Equal("11111111-2222-3333-4444-55555555555a", valid.ClientId);
        Assert.Equal("adls-gen2-contosodata", valid.ConnectionName);
        Assert.Equal("onboard-prod-contosodata", valid.InstanceId);

        Assert.True(OnboardingRequestValidator.TryValidate(request, out ValidOnboardingRequest? again, out _));
        Assert.Equal(valid.Fingerprint, again!.Fingerprint);
    }

    [Fact]
    public void TryValidate_DifferentClientId_ChangesFingerprintNotInstance()
    {
        OnboardingRequestValidator.TryValidate(Valid(), out ValidOnboardingRequest? first, out _);
        OnboardingRequestValidator.TryValidate(Valid() with { ClientId = "99999999-2222-3333-4444-555555555555" }, out ValidOnboardingRequest? second, out _);

        Assert.Equal(first!.InstanceId, second!.InstanceId);
        Assert.NotEqual(first.Fingerprint, second.Fingerprint);
    }

    [Theory]
    [InlineData("storageAccountUrl", null)]
    [InlineData("storageAccountUrl", "")]
    [InlineData("storageAccountUrl", "http://contosodata.dfs.core.windows.net")]
    [InlineData("storageAccountUrl", "https://contosodata.blob.core.windows.net")]
    [InlineData("storageAccountUrl", "https://contosodata.dfs.core.windows.net:8443")]
    [InlineData("storageAccountUrl", "https://contosodata.dfs.core.windows.net/container")]
    [InlineData("storageAccountUrl", "https://contosodata.dfs.core.windows.net?sv=2020")]
    [InlineData("storageAccountUrl", "https://user@contosodata.dfs.core.windows.net")]
    [InlineData("storageAccountUrl", "https://Contoso_Data.dfs.core.windows.net")]
    [InlineData("storageAccountUrl", "https://ContosoData.dfs.core.windows.net")]
    [InlineData("storageAccountUrl", "https://contosodata.dfs.core.windows.net:443")]
    [InlineData("storageAccountUrl", "https://ab.dfs.core.windows.net")]
    [InlineData("storageAccountUrl", "https://contоsodata.dfs.core.windows.net")]
    [InlineData("storageAccountUrl", "https://contosodata.dfs.core.windows.net.evil.example")]
    [InlineData("storageAccountUrl", "contosodata")]
    [InlineData("clientId", null)]
    [InlineData("clientId", "not-a-guid")]
    [InlineData("clientId", "{11111111-2222-3333-4444-555555555555}")]
    [InlineData("tenant", null)]
    [InlineData("tenant", "contoso")]
    [InlineData("tenant", "contoso.onmicrosoft.com; drop")]
    [InlineData("secretName", null)]
    [InlineData("secretName", "sp_key")]
    [InlineData("secretName", "sp key")]
    [InlineData("secretVersion", "latest")]
    [InlineData("secretVersion", "0123456789abcdef0123456789abcdeg")]
    [InlineData("sandbox", null)]
    [InlineData("sandbox", "Prod")]
    [InlineData("sandbox", "1prod")]
    [InlineData("sandbox", "prod sandbox")]
    [InlineData("connectionName", "")]
    [InlineData("connectionName", " leading")]
    [InlineData("connectionName", "name\"==x")]
    [InlineData("connectionName", "name&property=id==1")]
    [InlineData("description", "line\nbreak")]
    public void TryValidate_BadField_ReportsThatFieldOnly(string field, string? value)
    {
        OnboardingRequest request = field switch
        {
            "storageAccountUrl" => Valid() with { StorageAccountUrl = value },
            "clientId" => Valid() with { ClientId = value },
            "tenant" => Valid() with { Tenant = value },
            "secretName" => Valid() with { SecretName = value },
            "secretVersion" => Valid() with { SecretVersion = value },
            "sandbox" => Valid() with { Sandbox = value },
            "connectionName" => Valid() with { ConnectionName = value },
            "description" => Valid() with { Description = value },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.False(OnboardingRequestValidator.TryValidate(request, out ValidOnboardingRequest? valid, out Dictionary<string, string[]> errors));
        Assert.Null(valid);
        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void TryValidate_ManyBadFields_ReportsEachOne()
    {
        Assert.False(OnboardingRequestValidator.TryValidate(new OnboardingRequest(null, "x", null, "a b", null, "P", null, null), out _, out Dictionary<string, string[]> errors));
        Assert.Equal(["clientId", "sandbox", "secretName", "storageAccountUrl", "tenant"], errors.Keys.Order());
    }

    [Fact]
    public void TryValidate_LongestAllowedValues_Accepted()
    {
        OnboardingRequest request = Valid() with
        {
            StorageAccountUrl = $"https://{new string('a', 24)}.dfs.core.windows.net",
            SecretName = new string('k', 127),
            ConnectionName = new string('n', OnboardingRequestValidator.MaxConnectionNameLength),
            Description = new string('d', OnboardingRequestValidator.MaxDescriptionLength),
        };

        Assert.True(OnboardingRequestValidator.TryValidate(request, out _, out Dictionary<string, string[]> errors), string.Join(",", errors.Keys));
    }
}
