using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace AdlsOnboarding.Functions;

/// <summary>Lets the shared handlers' <see cref="IResult"/> answers flow through the Functions pipeline.</summary>
internal sealed class ResultActionResult(IResult result) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
}
