namespace AdlsOnboarding.Workflow.Rotation;

/// <summary>Where Key Vault's events arrive.</summary>
public static class RotationSettings
{
    /// <summary>App setting naming the Storage queue Event Grid delivers Key Vault events to (both hosts).</summary>
    public const string QueueSetting = "KeyVaultEventsQueue";

    public const string DefaultQueueName = "keyvault-events";
}
