using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AdlsOnboarding.Tests.Infrastructure;

/// <summary>Runs the shared handlers as a Functions HTTP trigger does: an ASP.NET Core request in, an IResult out.</summary>
public static class ApiCall
{
    private static readonly IServiceProvider RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider();

    public static HttpRequest Request(string method, string url, string? body = null, string? contentType = "application/json", IPAddress? remote = null, Dictionary<string, string>? headers = null)
    {
        Uri uri = new(url);
        DefaultHttpContext context = new() { RequestServices = RequestServices };
        context.Request.Method = method;
        context.Request.Scheme = uri.Scheme;
        context.Request.Host = new HostString(uri.Authority);
        context.Request.Path = uri.AbsolutePath;
        context.Request.QueryString = new QueryString(uri.Query);
        context.Connection.RemoteIpAddress = remote ?? IPAddress.Loopback;
        if (body is not null)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
        }

        if (contentType is not null)
        {
            context.Request.ContentType = contentType;
        }

        foreach ((string name, string value) in headers ?? [])
        {
            context.Request.Headers[name] = value;
        }

        context.Response.Body = new MemoryStream();
        return context.Request;
    }

    public static async Task<ApiResponse> ExecuteAsync(HttpRequest request, IResult result)
    {
        await result.ExecuteAsync(request.HttpContext);
        HttpResponse response = request.HttpContext.Response;
        response.Body.Position = 0;
        string body = await new StreamReader(response.Body).ReadToEndAsync();
        return new ApiResponse(response.StatusCode, response.ContentType, response.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body);
    }
}

public sealed record ApiResponse(int Status, string? ContentType, Dictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string? Header(string name) => Headers.GetValueOrDefault(name);
}
