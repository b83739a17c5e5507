using AdlsOnboarding.Workflow.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace AdlsOnboarding.Functions;

/// <summary>The API's OpenAPI documents (3.0 and 2.0), anonymous, as the local host serves them.</summary>
public static class OpenApiFunctions
{
    [Function(nameof(GetOpenApiDocument))]
    public static async Task<IActionResult> GetOpenApiDocument(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OnboardingOpenApi.OpenApiRoute)] HttpRequest request) =>
        new ContentResult { Content = await OnboardingOpenApi.OpenApi3JsonAsync(), ContentType = "application/json", StatusCode = StatusCodes.Status200OK };

    [Function(nameof(GetSwaggerDocument))]
    public static async Task<IActionResult> GetSwaggerDocument(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OnboardingOpenApi.SwaggerRoute)] HttpRequest request) =>
        new ContentResult { Content = await OnboardingOpenApi.Swagger2JsonAsync(), ContentType = "application/json", StatusCode = StatusCodes.Status200OK };
}
