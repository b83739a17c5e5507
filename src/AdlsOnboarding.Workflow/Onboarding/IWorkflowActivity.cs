namespace AdlsOnboarding.Workflow.Onboarding;

/// <summary>
/// An activity as plain DI service, independent of the host: the Durable Task worker (local host, tests) and the
/// Azure Functions adapters both call <see cref="RunAsync"/>.
/// </summary>
public interface IWorkflowActivity<TInput, TOutput>
{
    Task<TOutput> RunAsync(TInput input, CancellationToken cancellationToken = default);
}
