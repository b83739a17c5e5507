using AdlsOnboarding.Workflow.Secrets;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>The tagging rule: which tags bind a key version to which requests, compared exactly as documented.</summary>
public sealed class SecretBindingTagsTests
{
    private const string Client = "11111111-2222-3333-4444-555555555555";
    private const string TenantGuid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private static readonly SecretBinding Request = new(Client, "contoso.onmicrosoft.com", "acct1");

    private static Dictionary<string, string> Tags(params (string Name, string Value)[] tags) => tags.ToDictionary(t => t.Name, t => t.Value);

    [Theory]
    [InlineData("11111111-2222-3333-4444-55555555555a", "contoso.onmicrosoft.com")]
    [InlineData("11111111-2222-3333-4444-55555555555A", "Contoso.OnMicrosoft.com")]
    public void Binds_SameServicePrincipal_BoundWhateverTheCase(string clientTag, string tenantTag)
    {
        SecretBinding request = Request with { ClientId = "11111111-2222-3333-4444-55555555555a" };

        Assert.True(SecretBindingTags.Binds(Tags(("adls-onboarding-client-id", clientTag), ("adls-onboarding-tenant", tenantTag)), request, out string reason), reason);
    }

    [Fact]
    public void Binds_TagNamesInAnotherCase_Bound()
    {
        Assert.True(SecretBindingTags.Binds(Tags(("ADLS-Onboarding-Client-Id", Client), ("adls-onboarding-TENANT", "contoso.onmicrosoft.com")), Request, out _));
    }

    [Fact]
    public void Binds_TenantGuidTag_MetOnlyByThatGuid()
    {
        Dictionary<string, string> tags = Tags(("adls-onboarding-client-id", Client), ("adls-onboarding-tenant", TenantGuid.ToUpperInvariant()));

        Assert.True(SecretBindingTags.Binds(tags, Request with { Tenant = TenantGuid }, out _));
        Assert.False(SecretBindingTags.Binds(tags, Request, out string reason));
        Assert.Contains("another tenant", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Binds_TenantDomainTag_NotMetByAGuid()
    {
        Dictionary<string, string> tags = Tags(("adls-onboarding-client-id", Client), ("adls-onboarding-tenant", "contoso.onmicrosoft.com"));

        Assert.False(SecretBindingTags.Binds(tags, Request with { Tenant = TenantGuid }, out _));
    }

    [Theory]
    [InlineData("no tags")]
    [InlineData("client id only")]
    [InlineData("tenant only")]
    [InlineData("other client")]
    [InlineData("client id not a guid")]
    [InlineData("client id in braces")]
    [InlineData("client id tag twice")]
    [InlineData("empty tenant")]
    [InlineData("tenant with a space")]
    public void Binds_MissingMalformedOrForeignTags_NotBound(string what)
    {
        Dictionary<string, string> tags = what switch
        {
            "no tags" => [],
            "client id only" => Tags(("adls-onboarding-client-id", Client)),
            "tenant only" => Tags(("adls-onboarding-tenant", "contoso.onmicrosoft.com")),
            "other client" => Tags(("adls-onboarding-client-id", "99999999-2222-3333-4444-555555555555"), ("adls-onboarding-tenant", "contoso.onmicrosoft.com")),
            "client id not a guid" => Tags(("adls-onboarding-client-id", "team-a"), ("adls-onboarding-tenant", "contoso.onmicrosoft.com")),
            "client id in braces" => Tags(("adls-onboarding-client-id", "{" + Client + "}"), ("adls-onboarding-tenant", "contoso.onmicrosoft.com")),
            "client id tag twice" => Tags(("adls-onboarding-client-id", Client), ("ADLS-ONBOARDING-CLIENT-ID", "99999999-2222-3333-4444-555555555555"), ("adls-onboarding-tenant", "contoso.onmicrosoft.com")),
            "empty tenant" => Tags(("adls-onboarding-client-id", Client), ("adls-onboarding-tenant", "")),
            "tenant with a space" => Tags(("adls-onboarding-client-id", Client), ("adls-onboarding-tenant", "contoso.onmicrosoft.com ")),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };

        Assert.False(SecretBindingTags.Binds(tags, Request, out string reason));
        Assert.NotEmpty(reason);
    }

    [Theory]
    [InlineData("acct1", true)]
    [InlineData("acct0,acct1", true)]
    [InlineData("acct0, acct1 ,acct2", true)]
    [InlineData("acct0,acct2", false)]
    [InlineData("acct10", false)]
    [InlineData("ACCT1", false)]
    [InlineData("acct1,", false)]
    [InlineData("acct1;acct2", false)]
    [InlineData("", false)]
    public void Binds_AccountsTag_ListsTheAccountExactly(string accounts, bool bound)
    {
        Dictionary<string, string> tags = SecretBindingTags.For(Client, "contoso.onmicrosoft.com");
        tags["adls-onboarding-accounts"] = accounts;

        Assert.Equal(bound, SecretBindingTags.Binds(tags, Request, out _));
    }

    [Theory]
    [InlineData("prod", "prod", true)]
    [InlineData("dev, prod", "prod", true)]
    [InlineData("prod", "prod-evil", false)]
    [InlineData("prod-evil", "prod", false)]
    [InlineData("prod", "pro", false)]
    [InlineData("PROD", "prod", false)]
    [InlineData("prod,", "prod", false)]
    [InlineData("", "prod", false)]
    public void Binds_SandboxesTag_RequestSandboxMustBeListedExactly(string sandboxesTag, string sandbox, bool bound)
    {
        Dictionary<string, string> tags = Tags(("adls-onboarding-client-id", Client), ("adls-onboarding-tenant", "contoso.onmicrosoft.com"), ("adls-onboarding-sandboxes", sandboxesTag));

        Assert.Equal(bound, SecretBindingTags.Binds(tags, Request with { Sandbox = sandbox }, out string reason));
        Assert.Equal(bound, reason.Length == 0);
    }

    [Fact]
    public void Binds_SandboxesTag_BindingWithoutSandbox_NotBound()
    {
        Dictionary<string, string> tags = Tags(("adls-onboarding-client-id", Client), ("adls-onboarding-tenant", "contoso.onmicrosoft.com"), ("adls-onboarding-sandboxes", "prod"));

        Assert.False(SecretBindingTags.Binds(tags, Request, out _));
    }

    [Theory]
    [InlineData("acct10")]
    [InlineData("acct")]
    [InlineData("xacct1")]
    public void Binds_AccountsTag_PrefixOrSuffixOfTheAccount_NotBound(string listed)
    {
        Dictionary<string, string> tags = Tags(("adls-onboarding-client-id", Client), ("adls-onboarding-tenant", "contoso.onmicrosoft.com"), ("adls-onboarding-accounts", listed));

        Assert.False(SecretBindingTags.Binds(tags, Request, out _));
    }
}
