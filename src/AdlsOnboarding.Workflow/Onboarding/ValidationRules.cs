using System.Globalization;
using System.Text.RegularExpressions;

namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// The rule of every field the API takes, in one place: the request validator, the registry's route and query
/// parameters and the OpenAPI description all read these patterns, lengths and messages (a test checks the OpenAPI
/// side). Patterns use only what .NET and ECMAScript (OpenAPI's dialect) read alike, and must match the whole value.
/// </summary>
public static partial class ValidationRules
{
    /// <summary>The longest orchestration instance id Durable Functions accepts.</summary>
    public const int MaxInstanceIdLength = 256;

    public const int MaxAccountNameLength = 24;
    public const string AccountNamePattern = "^[a-z0-9]{3,24}$";
    public const string AccountNameRule = "Must be a storage account name: 3-24 lowercase letters and digits.";

    /// <summary>Exactly the account's ADLS Gen2 endpoint; one trailing slash is allowed and dropped.</summary>
    public const string StorageAccountUrlPattern = @"^https://[a-z0-9]{3,24}\.dfs\.core\.windows\.net/?$";

    /// <summary>
    /// Adobe allows 256 characters (lowercase letters, digits, hyphens, starting with a letter). Ours is shorter so that
    /// the longest instance id, <c>offboard-&lt;sandbox&gt;-&lt;account&gt;</c> with a 24-character account, fits in
    /// <see cref="MaxInstanceIdLength"/>: 256 - 9 - 1 - 24 = 222.
    /// </summary>
    public const int MaxSandboxLength = 222;
    public const string SandboxPattern = "^[a-z][a-z0-9-]{0,221}$";
    public const string SandboxRule = "Must be a sandbox name: lowercase letters, digits and hyphens, starting with a letter, at most 222 characters (so that every instance id of the account fits in 256).";

    private const string GuidBody = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    private const string DomainBody = @"([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}";

    /// <summary>A GUID in its hyphenated form; upper-case hex digits are allowed and lower-cased.</summary>
    public const string GuidPattern = "^" + GuidBody + "$";

    /// <summary>A tenant id (GUID) or a domain name; both are lower-cased.</summary>
    public const string TenantPattern = "^(" + GuidBody + "|" + DomainBody + ")$";
    public const int MaxTenantLength = 253;

    /// <summary>Key Vault's rule for secret names (which Key Vault compares without regard to case).</summary>
    public const string SecretNamePattern = "^[0-9a-zA-Z-]{1,127}$";
    public const int MaxSecretNameLength = 127;

    /// <summary>A Key Vault secret version: 32 hexadecimal digits, lower-cased.</summary>
    public const string SecretVersionPattern = "^[0-9a-fA-F]{32}$";

    /// <summary>Connection names end up inside Flow Service filter expressions (<c>property=name==…</c>): a plain set only.</summary>
    public const string ConnectionNamePattern = "^[A-Za-z0-9_.()-]([A-Za-z0-9 _.()-]*[A-Za-z0-9_.()-])?$";
    public const int MaxConnectionNameLength = 128;

    public const int MaxDescriptionLength = 1024;

    /// <summary>
    /// An Adobe base connection id exactly as Flow Service writes it: a GUID in lower case with hyphens
    /// (<c>69f188b6-af07-4587-8061-e94d34637b41</c>). Ids go into Flow Service paths, so nothing else is accepted, and
    /// nothing is lower-cased for the caller: an id is either Adobe's or not.
    /// </summary>
    public const string ConnectionIdPattern = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
    public const string ConnectionIdRule = "Must be an Adobe base connection id exactly as Experience Platform shows it: a lower-case GUID such as 69f188b6-af07-4587-8061-e94d34637b41.";

    /// <summary>The registry list's page size: 1-1000, in its canonical spelling (no sign, no leading zero).</summary>
    public const int MaxPageSize = 1000;
    public const string PageSizePattern = "^(1000|[1-9][0-9]{0,2})$";
    public const string PageSizeRule = "Must be a whole number from 1 to 1000, written without sign or leading zeros.";

    public const string SurroundingWhitespaceRule = "Must not start or end with whitespace: send the value exactly.";
    public const string ControlCharacterRule = "Must not contain control characters, invisible formatting characters (such as zero-width or bidirectional controls) or unpaired surrogates.";

    public static bool IsAccountName(string? value) => value is not null && FullMatch(AccountName(), value);

    public static bool IsStorageAccountUrl(string? value) => value is not null && FullMatch(StorageAccountUrl(), value);

    public static bool IsSandboxName(string? value) => value is { Length: <= MaxSandboxLength } && FullMatch(Sandbox(), value);

    public static bool IsGuid(string? value) => value is not null && FullMatch(Guid(), value);

    public static bool IsTenant(string? value) => value is { Length: <= MaxTenantLength } && FullMatch(Tenant(), value);

    public static bool IsSecretName(string? value) => value is not null && FullMatch(SecretName(), value);

    public static bool IsSecretVersion(string? value) => value is not null && FullMatch(SecretVersion(), value);

    public static bool IsConnectionId(string? value) => value is not null && FullMatch(ConnectionId(), value);

    public static bool IsPageSize(string? value) => value is not null && FullMatch(PageSize(), value);

    public static bool IsConnectionName(string? value) => value is { Length: <= MaxConnectionNameLength } && FullMatch(ConnectionName(), value);

    /// <summary>
    /// Why a value is not the value it looks like, or null: whitespace at either end, or a control character, an
    /// invisible formatting character (Unicode Cf, line or paragraph separator) or an unpaired surrogate anywhere.
    /// Such values are rejected, never trimmed or cleaned.
    /// </summary>
    public static string? Malformed(string value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                if (IsControlOrInvisible(CharUnicodeInfo.GetUnicodeCategory(value, i)))
                {
                    return ControlCharacterRule;
                }

                i++;
            }
            else if (char.IsSurrogate(value[i]) || IsControlOrInvisible(CharUnicodeInfo.GetUnicodeCategory(value[i])))
            {
                return ControlCharacterRule;
            }
        }

        return value.Length > 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])) ? SurroundingWhitespaceRule : null;
    }

    private static bool IsControlOrInvisible(UnicodeCategory category) =>
        category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    // .NET's $ also matches before a final newline; the whole value must match.
    private static bool FullMatch(Regex rule, string value)
    {
        Match match = rule.Match(value);
        return match.Success && match.Index == 0 && match.Length == value.Length;
    }

    [GeneratedRegex(AccountNamePattern, RegexOptions.CultureInvariant)]
    private static partial Regex AccountName();

    [GeneratedRegex(StorageAccountUrlPattern, RegexOptions.CultureInvariant)]
    private static partial Regex StorageAccountUrl();

    [GeneratedRegex(SandboxPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Sandbox();

    [GeneratedRegex(GuidPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Guid();

    [GeneratedRegex(TenantPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Tenant();

    [GeneratedRegex(SecretNamePattern, RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex(SecretVersionPattern, RegexOptions.CultureInvariant)]
    private static partial Regex SecretVersion();

    [GeneratedRegex(ConnectionIdPattern, RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionId();

    [GeneratedRegex(PageSizePattern, RegexOptions.CultureInvariant)]
    private static partial Regex PageSize();

    [GeneratedRegex(ConnectionNamePattern, RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionName();
}
