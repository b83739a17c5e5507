using System.ComponentModel.DataAnnotations;

namespace AdlsOnboarding.Workflow.Storage;

/// <summary>Where the account records live (configuration section <c>Storage</c>).</summary>
public sealed class AccountStoreOptions
{
    public const string Section = "Storage";

    /// <summary>Identity-based: <c>https://&lt;account&gt;.table.core.windows.net</c>. Used when no connection string is set.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>For Azurite and local runs only (Azure deployments use <see cref="TableServiceUri"/> and managed identity).</summary>
    public string? ConnectionString { get; set; }

    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "Storage:TableName must be 3-63 letters and digits, starting with a letter.")]
    public string TableName { get; set; } = "AdlsAccounts";
}
