using AdlsOnboarding.Workflow.Secrets;

namespace AdlsOnboarding.Workflow.Adobe;

/// <summary>
/// What a Flow Service request tells the handlers of its pipeline (<see cref="HttpRequestMessage.Options"/>): the
/// operation (logs, metrics, errors), the sandbox (the <c>x-sandbox-name</c> header) and the secret its body carries,
/// if any (removed from an error body before anything reads it).
/// </summary>
internal static class FlowServiceRequest
{
    public static readonly HttpRequestOptionsKey<string> Operation = new("Adobe.Operation");

    public static readonly HttpRequestOptionsKey<string> Sandbox = new("Adobe.Sandbox");

    public static readonly HttpRequestOptionsKey<SensitiveString> CarriedSecret = new("Adobe.CarriedSecret");

    public static string OperationOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(Operation, out string? operation) ? operation : "Flow Service";

    public static string SandboxOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(Sandbox, out string? sandbox) ? sandbox : throw new InvalidOperationException("A Flow Service request names its sandbox.");
}
