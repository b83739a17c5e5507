using AdlsOnboarding.Workflow.Onboarding;
using Microsoft.DurableTask;

namespace AdlsOnboarding.Workflow.Hosting;

/// <summary>Runs an <see cref="IWorkflowActivity{TInput, TOutput}"/> on a Durable Task worker.</summary>
internal sealed class DurableActivityAdapter<TInput, TOutput>(IWorkflowActivity<TInput, TOutput> activity) : TaskActivity<TInput, TOutput>
{
    public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => activity.RunAsync(input);
}
