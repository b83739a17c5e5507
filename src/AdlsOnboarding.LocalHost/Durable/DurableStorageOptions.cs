using System.ComponentModel.DataAnnotations;

namespace AdlsOnboarding.LocalHost.Durable;

/// <summary>
/// The local host's durable backend: the Azure Storage provider, as Azure Functions uses by default (section
/// <c>Durable</c>). The timeouts are short so that a host killed mid-onboarding resumes within seconds on restart.
/// </summary>
public sealed class DurableStorageOptions
{
    public const string Section = "Durable";

    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,44}$", ErrorMessage = "Durable:TaskHubName must be 3-45 letters and digits.")]
    public string TaskHubName { get; set; } = "AdlsOnboardingLocal";

    /// <summary>Azurite or a storage account (connection string). Empty: <see cref="StorageServiceUri"/> with the Azure credential.</summary>
    public string? StorageConnectionString { get; set; } = "UseDevelopmentStorage=true";

    /// <summary>Identity-based storage: <c>https://&lt;account&gt;</c> (blob/queue/table endpoints are derived).</summary>
    public string? StorageAccountName { get; set; }

    [Range(1, 16)]
    public int PartitionCount { get; set; } = 4;

    /// <summary>A dead host's partitions are taken over after this long.</summary>
    public TimeSpan LeaseInterval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(3);

    public TimeSpan LeaseAcquireInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// An activity a dead host had taken runs again after this long. The sidecar's dispatcher does not renew activity
    /// locks, so a live activity that outlasts it is delivered a second time while it runs: it must be at least twice
    /// <c>Onboarding:ActivityBudget</c> (checked at start-up). 60 s: the default 30 s budget, doubled.
    /// </summary>
    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(1, 1000)]
    public int MaxConcurrentActivities { get; set; } = 10;

    [Range(1, 1000)]
    public int MaxConcurrentOrchestrations { get; set; } = 10;

    /// <summary>Loopback port of the in-process gRPC sidecar; 0 picks a free one.</summary>
    [Range(0, 65535)]
    public int SidecarPort { get; set; }
}
