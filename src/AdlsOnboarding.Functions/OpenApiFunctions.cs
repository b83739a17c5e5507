using AdlsOnboarding.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace AdlsOnboarding.Functions;

/// <summary>The API's OpenAPI documents (3.0 and 2.0), behind the function key like every route but the status URL.</summary>
public static class OpenApiFunctions
{
    [Function(nameof(GetOpenApiDocument))]
    public static async Task<IActionResult> GetOpenApiDocument(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = OnboardingOpenApi.OpenApiRoute)] HttpRequest request) =>
        new ContentResult { Content = await OnboardingOpenApi.OpenApi3JsonAsync(), ContentType = "application/json", StatusCode = StatusCodes.Status200OK };

    [Function(nameof(GetSwaggerDocument))]
    public static async Task<IActionResult> GetSwaggerDocument(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = OnboardingOpenApi.SwaggerRoute)] HttpRequest request) =>
        new ContentResult { Content = await OnboardingOpenApi.Swagger2JsonAsync(), ContentType = "application/json", StatusCode = StatusCodes.Status200OK };
}
