using AdlsOnboarding.Api;
using AdlsOnboarding.Workflow.Adobe;
using AdlsOnboarding.Workflow.Hosting;
using AdlsOnboarding.Workflow.Offboarding;
using AdlsOnboarding.Workflow.Onboarding;
using AdlsOnboarding.Workflow.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Tests.Unit;

public sealed class OnboardingRequestValidatorTests
{
    private static readonly OnboardingRequestValidator Validator = WithReserved("adobe-ims-client-secret", "status-token-key");

    private static OnboardingRequestValidator WithReserved(params string[] names)
    {
        ReservedSecretNames reserved = new();
        foreach (string name in names)
        {
            reserved.Add(name);
        }

        return new OnboardingRequestValidator(Options.Create(reserved));
    }

    private static OnboardingRequest Valid() => new(
        "https://contosodata.dfs.core.windows.net", "11111111-2222-3333-4444-555555555555", "contoso.onmicrosoft.com",
        "sp-key", null, "prod", null, null);

    private static OnboardingRequest With(string field, string? value) => field switch
    {
        "storageAccountUrl" => Valid() with { StorageAccountUrl = value },
        "clientId" => Valid() with { ClientId = value },
        "tenant" => Valid() with { Tenant = value },
        "secretName" => Valid() with { SecretName = value },
        "secretVersion" => Valid() with { SecretVersion = value },
        "sandbox" => Valid() with { Sandbox = value },
        "connectionName" => Valid() with { ConnectionName = value },
        "description" => Valid() with { Description = value },
        "adoptConnectionId" => Valid() with { AdoptConnectionId = value },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    [Fact]
    public void TryValidate_CanonicalForms_AcceptedAndWrittenInThatForm()
    {
        // The documented canonical forms: GUIDs, secret versions and the tenant domain lower-cased, one trailing / dropped.
        OnboardingRequest request = Valid() with
        {
            StorageAccountUrl = "https://contosodata.dfs.core.windows.net/",
            Tenant = "CONTOSO.onmicrosoft.com",
            ClientId = "11111111-2222-3333-4444-55555555555A",
            SecretVersion = "0123456789ABCDEF0123456789abcdef",
        };

        Assert.True(Validator.TryValidate(request, out ValidOnboardingRequest? valid, out _));
        Assert.Equal("https://contosodata.dfs.core.windows.net", valid.StorageAccountUrl);
        Assert.Equal("contosodata", valid.AccountName);
        Assert.Equal("contoso.onmicrosoft.com", valid.Tenant);
        Assert.Equal("11111111-2222-3333-4444-55555555555a", valid.ClientId);
        Assert.Equal("0123456789abcdef0123456789abcdef", valid.SecretVersion);
        Assert.Equal("adls-gen2-contosodata", valid.ConnectionName);
        Assert.Equal("onboard-prod-contosodata", valid.InstanceId);

        Assert.True(Validator.TryValidate(request, out ValidOnboardingRequest? again, out _));
        Assert.Equal(valid.Fingerprint, again.Fingerprint);
    }

    [Fact]
    public void TryValidate_AdoptConnectionId_KeptExactlyAndPartOfTheFingerprint()
    {
        Assert.True(Validator.TryValidate(Valid(), out ValidOnboardingRequest? plain, out _));
        Assert.True(Validator.TryValidate(Valid() with { AdoptConnectionId = "69f188b6-af07-4587-8061-e94d34637b41" }, out ValidOnboardingRequest? adopting, out _));

        Assert.Null(plain.AdoptConnectionId);
        Assert.Equal("69f188b6-af07-4587-8061-e94d34637b41", adopting.AdoptConnectionId);
        Assert.Equal(plain.InstanceId, adopting.InstanceId);
        Assert.NotEqual(plain.Fingerprint, adopting.Fingerprint);
    }

    [Fact]
    public void TryValidate_TenantGuidInUpperCase_LowerCased()
    {
        Assert.True(Validator.TryValidate(Valid() with { Tenant = "AAAAAAAA-2222-3333-4444-555555555555" }, out ValidOnboardingRequest? valid, out _));
        Assert.Equal("aaaaaaaa-2222-3333-4444-555555555555", valid.Tenant);
    }

    [Fact]
    public void TryValidate_DifferentClientId_ChangesFingerprintNotInstance()
    {
        Assert.True(Validator.TryValidate(Valid(), out ValidOnboardingRequest? first, out _));
        Assert.True(Validator.TryValidate(Valid() with { ClientId = "99999999-2222-3333-4444-555555555555" }, out ValidOnboardingRequest? second, out _));

        Assert.Equal(first.InstanceId, second.InstanceId);
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
    [InlineData("storageAccountUrl", "https://contosodata.dfs.core.windows.net//")]
    [InlineData("storageAccountUrl", "https://contosodata.dfs.core.windows.net\\")]
    [InlineData("storageAccountUrl", "https://contoso%64ata.dfs.core.windows.net")]
    [InlineData("storageAccountUrl", "HTTPS://contosodata.dfs.core.windows.net")]
    [InlineData("storageAccountUrl", "contosodata")]
    [InlineData("clientId", null)]
    [InlineData("clientId", "not-a-guid")]
    [InlineData("clientId", "{11111111-2222-3333-4444-555555555555}")]
    [InlineData("clientId", "11111111222233334444555555555555")]
    [InlineData("tenant", null)]
    [InlineData("tenant", "contoso")]
    [InlineData("tenant", "contoso.onmicrosoft.com; drop")]
    [InlineData("secretName", null)]
    [InlineData("secretName", "sp_key")]
    [InlineData("secretName", "sp key")]
    [InlineData("secretVersion", "")]
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
    [InlineData("adoptConnectionId", "")]
    [InlineData("adoptConnectionId", "69F188B6-AF07-4587-8061-E94D34637B41")]
    [InlineData("adoptConnectionId", "{69f188b6-af07-4587-8061-e94d34637b41}")]
    [InlineData("adoptConnectionId", "69f188b6af0745878061e94d34637b41")]
    [InlineData("adoptConnectionId", "../69f188b6-af07-4587-8061-e94d34637b41")]
    [InlineData("adoptConnectionId", "69f188b6-af07-4587-8061-e94d34637b41/test")]
    [InlineData("adoptConnectionId", "69f188b6-af07-4587-8061-e94d34637b4")]
    public void TryValidate_BadField_ReportsThatFieldOnly(string field, string? value)
    {
        Assert.False(Validator.TryValidate(With(field, value), out ValidOnboardingRequest? valid, out Dictionary<string, string[]> errors));
        Assert.Null(valid);
        Assert.Equal([field], errors.Keys);
    }

    public static TheoryData<string, string> MalformedValues()
    {
        TheoryData<string, string> data = [];
        Dictionary<string, string> good = new()
        {
            ["storageAccountUrl"] = "https://contosodata.dfs.core.windows.net",
            ["clientId"] = "11111111-2222-3333-4444-555555555555",
            ["tenant"] = "contoso.onmicrosoft.com",
            ["secretName"] = "sp-key",
            ["secretVersion"] = "0123456789abcdef0123456789abcdef",
            ["sandbox"] = "prod",
            ["connectionName"] = "my connection",
            ["description"] = "my account",
            ["adoptConnectionId"] = "69f188b6-af07-4587-8061-e94d34637b41",
        };
        foreach ((string field, string value) in good)
        {
            data.Add(field, " " + value);
            data.Add(field, value + " ");
            data.Add(field, value + "\n");
            data.Add(field, "\u00a0" + value);
            data.Add(field, value[..2] + "\u0000" + value[2..]);
            data.Add(field, value[..2] + "\u200b" + value[2..]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MalformedValues))]
    public void TryValidate_SurroundingWhitespaceOrControlCharacter_RejectedNotTrimmed(string field, string value)
    {
        Assert.False(Validator.TryValidate(With(field, value), out _, out Dictionary<string, string[]> errors));
        Assert.Equal([field], errors.Keys);
    }

    [Theory]
    [InlineData("my \u202eaccount")]
    [InlineData("my\u2028account")]
    [InlineData("my account\u0085")]
    [InlineData("my account \U000E0041")]
    public void TryValidate_DescriptionWithInvisibleOrBrokenCharacters_Rejected(string description)
    {
        Assert.False(Validator.TryValidate(Valid() with { Description = description }, out _, out Dictionary<string, string[]> errors));
        Assert.Equal(["description"], errors.Keys);
    }

    [Fact]
    public void TryValidate_DescriptionWithUnpairedSurrogate_Rejected()
    {
        string description = "my " + (char)0xD800 + "account";

        Assert.False(Validator.TryValidate(Valid() with { Description = description }, out _, out Dictionary<string, string[]> errors));
        Assert.Equal(["description"], errors.Keys);
    }

    [Theory]
    [InlineData("Ünïcödé, spaces inside, and 😀 are fine")]
    [InlineData("")]
    public void TryValidate_DescriptionOfPlainText_Accepted(string description)
    {
        Assert.True(Validator.TryValidate(Valid() with { Description = description }, out ValidOnboardingRequest? valid, out _));
        Assert.Equal(description, valid.Description);
    }

    [Fact]
    public void TryValidate_ManyBadFields_ReportsEachOne()
    {
        Assert.False(Validator.TryValidate(new OnboardingRequest(null, "x", null, "a b", null, "P", null, null), out _, out Dictionary<string, string[]> errors));
        Assert.Equal(["clientId", "sandbox", "secretName", "storageAccountUrl", "tenant"], errors.Keys.Order());
    }

    [Fact]
    public void TryValidate_LongestAllowedValues_AcceptedAndEveryInstanceIdFits()
    {
        OnboardingRequest request = Valid() with
        {
            StorageAccountUrl = $"https://{new string('a', ValidationRules.MaxAccountNameLength)}.dfs.core.windows.net",
            SecretName = new string('k', ValidationRules.MaxSecretNameLength),
            Sandbox = "s" + new string('-', ValidationRules.MaxSandboxLength - 1),
            ConnectionName = new string('n', ValidationRules.MaxConnectionNameLength),
            Description = new string('d', ValidationRules.MaxDescriptionLength),
        };

        Assert.True(Validator.TryValidate(request, out ValidOnboardingRequest? valid, out Dictionary<string, string[]> errors), string.Join(",", errors.Keys));
        Assert.True(valid.InstanceId.Length <= ValidationRules.MaxInstanceIdLength);
        Assert.Equal(ValidationRules.MaxInstanceIdLength, OffboardingInput.InstanceIdFor(valid.Sandbox, valid.AccountName).Length);
    }

    [Theory]
    [InlineData("connectionName", ValidationRules.MaxConnectionNameLength + 1)]
    [InlineData("description", ValidationRules.MaxDescriptionLength + 1)]
    [InlineData("secretName", ValidationRules.MaxSecretNameLength + 1)]
    [InlineData("sandbox", ValidationRules.MaxSandboxLength + 1)]
    [InlineData("sandbox", 256)]
    public void TryValidate_OneCharacterTooLong_Rejected(string field, int length)
    {
        Assert.False(Validator.TryValidate(With(field, new string('s', length)), out _, out Dictionary<string, string[]> errors));
        Assert.Equal([field], errors.Keys);
    }

    [Theory]
    [InlineData("adobe-ims-client-secret")]
    [InlineData("ADOBE-IMS-CLIENT-SECRET")]
    [InlineData("status-token-key")]
    [InlineData("Status-Token-Key")]
    public void TryValidate_SecretNameOfTheAppsOwnSecret_RejectedWhateverTheCase(string secretName)
    {
        // Key Vault names are case-insensitive: any spelling reads the same secret.
        Assert.False(Validator.TryValidate(Valid() with { SecretName = secretName }, out _, out Dictionary<string, string[]> errors));
        Assert.Equal(["secretName"], errors.Keys);
    }

    [Fact]
    public void ReservedSecretNames_ComeFromTheConfiguredNames()
    {
        ServiceCollection services = new();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Adobe:ClientSecretName"] = "team-ims-secret",
            ["Api:StatusTokenKeySecretName"] = "team-status-key",
        }).Build());
        services.AddAdlsOnboardingWorkflow();
        services.AddAdlsOnboardingApi();

        // Where the names come from is the point here, not whether the rest of these sections is complete.
        services.RemoveAll<IValidateOptions<AdobeOptions>>();
        services.RemoveAll<IValidateOptions<ApiOptions>>();
        using ServiceProvider provider = services.BuildServiceProvider();
        OnboardingRequestValidator validator = provider.GetRequiredService<OnboardingRequestValidator>();

        Assert.False(validator.TryValidate(Valid() with { SecretName = "team-ims-secret" }, out _, out _));
        Assert.False(validator.TryValidate(Valid() with { SecretName = "TEAM-STATUS-KEY" }, out _, out _));
        Assert.True(validator.TryValidate(Valid() with { SecretName = "adobe-ims-client-secret" }, out _, out _));
        Assert.Equal(["team-ims-secret", "team-status-key"], provider.GetRequiredService<IOptions<ReservedSecretNames>>().Value.Names.Order());
    }

    [Theory]
    [InlineData("prod")]
    [InlineData("a")]
    [InlineData("dev-2")]
    public void SandboxRule_AdobesNamesWithinTheLimit_Accepted(string sandbox)
    {
        Assert.True(ValidationRules.IsSandboxName(sandbox));
    }

    [Theory]
    [InlineData("prod\n")]
    [InlineData("prod ")]
    [InlineData("")]
    public void SandboxRule_TrailingNewlineOrSpace_Rejected(string sandbox)
    {
        // .NET's $ matches before a final newline; the rule must not.
        Assert.False(ValidationRules.IsSandboxName(sandbox));
    }
}
