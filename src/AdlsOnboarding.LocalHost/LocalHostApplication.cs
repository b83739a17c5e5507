using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using AdlsOnboarding.Api;
using AdlsOnboarding.LocalHost.Durable;
using AdlsOnboarding.Workflow.Hosting;
using Azure.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.LocalHost;

/// <summary>
/// The local host: the same routes, handlers, orchestrator and activities as the Functions app, on ASP.NET Core, with
/// the Durable Task SDK's gRPC client and worker talking to the Azure Storage provider through an in-process sidecar.
/// </summary>
public static class LocalHostApplication
{
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

        // Later sources win: appsettings.json (simulator defaults) < local.settings.json < environment < command line.
        string localSettings = builder.Configuration["LocalSettingsPath"] ?? Path.Combine(Directory.GetCurrentDirectory(), "local.settings.json");
        IConfigurationSource? fromLocalSettings = new ConfigurationBuilder().AddFunctionsLocalSettings(localSettings).Sources.FirstOrDefault();
        if (fromLocalSettings is not null)
        {
            int afterJson = builder.Configuration.Sources.ToList().FindLastIndex(s => s is JsonConfigurationSource) + 1;
            builder.Configuration.Sources.Insert(afterJson, fromLocalSettings);
        }
        configure?.Invoke(builder);

        LocalHostOptions hostOptions = builder.Configuration.GetSection(LocalHostOptions.Section).Get<LocalHostOptions>() ?? new LocalHostOptions();
        List<(string Setting, string Url)> listening = ListeningSettings(builder.Configuration, hostOptions);
        RefuseOpenBindingWithoutKey(hostOptions, listening);
        builder.WebHost.UseUrls(hostOptions.Urls);
        DefaultPublicBaseUrl(builder.Configuration, listening);
        if (string.IsNullOrEmpty(hostOptions.ApiKey))
        {
            // Without a key only this machine may call: a browser page whose name was rebound to 127.0.0.1 (DNS
            // rebinding) reaches the port, but sends its own name as Host. Wins over any AllowedHosts setting.
            builder.Services.PostConfigure<HostFilteringOptions>(filtering =>
            {
                filtering.AllowedHosts = ["localhost", "127.0.0.1", "[::1]"];
                filtering.AllowEmptyHosts = false;
            });
        }

        if (string.IsNullOrEmpty(builder.Configuration["Api:StatusTokenKey"]) && string.IsNullOrEmpty(builder.Configuration["Api:StatusTokenKeySecretName"]))
        {
            // Status URLs then stop working when the host restarts; configure Api:StatusTokenKey to keep them.
            builder.Configuration["Api:StatusTokenKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        }

        builder.Services.AddAdlsOnboardingWorkflow();
        builder.Services.AddAdlsOnboardingApi();
        builder.AddLocalTelemetry();
        builder.Services.Configure<LocalHostOptions>(builder.Configuration.GetSection(LocalHostOptions.Section));

        DurableStorageOptions durable = builder.Configuration.GetSection(DurableStorageOptions.Section).Get<DurableStorageOptions>() ?? new DurableStorageOptions();
        Validator.ValidateObject(durable, new ValidationContext(durable), validateAllProperties: true);
        RefuseBudgetOutsideVisibility(builder.Configuration, durable);
        ILoggerFactory sidecarLogs = LoggerFactory.Create(logging => logging.AddConsole().SetMinimumLevel(LogLevel.Warning));
        TokenCredential? credential = string.IsNullOrEmpty(durable.StorageConnectionString)
            ? builder.Configuration.GetSection(AzureCredentialOptions.Section).Get<AzureCredentialOptions>()?.Create() ?? new AzureCredentialOptions().Create()
            : null;
        AzureStorageSidecar sidecar = await AzureStorageSidecar.StartAsync(durable, credential, sidecarLogs);
        GrpcChannel channel = GrpcChannel.ForAddress(sidecar.Address);

        builder.Services.AddDurableTaskWorker(worker =>
        {
            worker.UseGrpc(channel);
            worker.AddTasks(tasks => tasks.AddOnboardingTasks());
        });
        builder.Services.AddDurableTaskClient(client => client.UseGrpc(channel));

        // The same schedule setting as the Functions timer trigger; refuse a bad one at start-up.
        _ = RegistrySweepService.ParseSchedule(builder.Configuration[Workflow.Registry.SweepOptions.ScheduleSetting] ?? Workflow.Registry.SweepOptions.DefaultSchedule);
        builder.Services.AddHostedService<RegistrySweepService>();
        _ = RegistrySweepService.ParseSchedule(builder.Configuration[Workflow.Retention.RetentionOptions.ScheduleSetting] ?? Workflow.Retention.RetentionOptions.DefaultSchedule);
        builder.Services.AddHostedService<HistoryRetentionService>();
        builder.Services.AddSingleton(Options.Create(durable));
        builder.Services.AddHostedService<KeyVaultEventsQueueService>();

        WebApplication app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            channel.Dispose();
            sidecar.DisposeAsync().AsTask().GetAwaiter().GetResult();
            sidecarLogs.Dispose();
        });

        MapRoutes(app);
        return app;
    }

    /// <summary>The HTTP API: the same routes as the Functions app (route prefix <c>api</c>).</summary>
    public static void MapRoutes(WebApplication app)
    {
        RouteGroupBuilder api = app.MapGroup("/api");
        api.MapPost(OnboardingApi.OnboardingsRoute, (HttpRequest request, DurableTaskClient client, OnboardingApi handlers, CancellationToken cancellationToken) =>
                handlers.StartAsync(request, client, cancellationToken))
            .AddEndpointFilter<ApiKeyFilter>();
        api.MapGet(OnboardingApi.StatusRoute, (HttpRequest request, string instanceId, DurableTaskClient client, OnboardingApi handlers, CancellationToken cancellationToken) =>
            handlers.GetStatusAsync(request, client, instanceId, cancellationToken));
        api.MapPut(AccountsApi.AccountRoute, (HttpRequest request, string sandbox, string account, DurableTaskClient client, AccountsApi handlers, CancellationToken cancellationToken) =>
                handlers.PutAsync(request, client, sandbox, account, cancellationToken))
            .AddEndpointFilter<ApiKeyFilter>();
        api.MapDelete(AccountsApi.AccountRoute, (HttpRequest request, string sandbox, string account, DurableTaskClient client, AccountsApi handlers, CancellationToken cancellationToken) =>
                handlers.DeleteAsync(request, client, sandbox, account, cancellationToken))
            .AddEndpointFilter<ApiKeyFilter>();
        api.MapGet(AccountsApi.AccountRoute, (string sandbox, string account, AccountsApi handlers, CancellationToken cancellationToken) =>
                handlers.GetAsync(sandbox, account, cancellationToken))
            .AddEndpointFilter<ApiKeyFilter>();
        api.MapGet(AccountsApi.AccountsRoute, (HttpRequest request, AccountsApi handlers, CancellationToken cancellationToken) =>
                handlers.ListAsync(request, cancellationToken))
            .AddEndpointFilter<ApiKeyFilter>();
        api.MapGet(OnboardingOpenApi.OpenApiRoute, async () => Results.Text(await OnboardingOpenApi.OpenApi3JsonAsync(), "application/json"))
            .AddEndpointFilter<ApiKeyFilter>();
        api.MapGet(OnboardingOpenApi.SwaggerRoute, async () => Results.Text(await OnboardingOpenApi.Swagger2JsonAsync(), "application/json"))
            .AddEndpointFilter<ApiKeyFilter>();
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
    }

    /// <summary>
    /// Every address the host will listen on: <c>LocalHost:Urls</c>, or <c>Kestrel:Endpoints</c>, which Kestrel puts
    /// in its place when configured. (<c>urls</c>, i.e. <c>ASPNETCORE_URLS</c>, <c>URLS</c> or <c>--urls</c>, and
    /// <c>ASPNETCORE_HTTP(S)_PORTS</c> never apply: <c>UseUrls</c> overrides them.)
    /// </summary>
    private static List<(string Setting, string Url)> ListeningSettings(IConfiguration configuration, LocalHostOptions options)
    {
        List<(string, string)> urls = [.. Split(options.Urls).Select(url => ("LocalHost:Urls", url))];
        foreach (IConfigurationSection endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            urls.Add(($"Kestrel:Endpoints:{endpoint.Key}:Url", endpoint["Url"] ?? ""));
        }

        return urls;
    }

    /// <summary>
    /// The sidecar's dispatcher does not renew activity locks: an activity that outlives the work-item visibility
    /// timeout is delivered again while it runs. The activity budget must stay inside half of it (docs/reliability.md).
    /// </summary>
    private static void RefuseBudgetOutsideVisibility(IConfiguration configuration, DurableStorageOptions durable)
    {
        Workflow.Onboarding.OnboardingOptions onboarding = configuration.GetSection(Workflow.Onboarding.OnboardingOptions.Section).Get<Workflow.Onboarding.OnboardingOptions>() ?? new();
        if (onboarding.ActivityBudget > durable.WorkItemQueueVisibilityTimeout / 2)
        {
            throw new OptionsValidationException(Workflow.Onboarding.OnboardingOptions.Section, typeof(Workflow.Onboarding.OnboardingOptions),
                [$"Onboarding:ActivityBudget ({onboarding.ActivityBudget}) must be at most half of Durable:WorkItemQueueVisibilityTimeout ({durable.WorkItemQueueVisibilityTimeout}): this host does not renew activity locks, so a longer activity would be delivered twice while it runs."]);
        }
    }

    private static void RefuseOpenBindingWithoutKey(LocalHostOptions options, IEnumerable<(string Setting, string Url)> listening)
    {
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            return;
        }

        foreach ((string setting, string url) in listening)
        {
            if (!IsLoopback(url))
            {
                throw new OptionsValidationException(LocalHostOptions.Section, typeof(LocalHostOptions),
                    [$"{setting} asks to listen on {url}, which is not loopback: set LocalHost:ApiKey so that every route but the status URL requires a key, or listen on loopback only."]);
            }
        }
    }

    /// <summary>Status URLs point back at this host unless <c>Api:PublicBaseUrl</c> says where callers reach it.</summary>
    private static void DefaultPublicBaseUrl(IConfiguration configuration, List<(string Setting, string Url)> listening)
    {
        if (!string.IsNullOrEmpty(configuration["Api:PublicBaseUrl"]))
        {
            return;
        }

        // Kestrel's endpoints, when configured, are what the host listens on.
        string own = listening.FirstOrDefault(l => l.Setting.StartsWith("Kestrel:", StringComparison.Ordinal)).Url ?? listening[0].Url;
        if (ApiOptionsValidator.PublicBaseUri(own) is null)
        {
            throw new OptionsValidationException(ApiOptions.Section, typeof(ApiOptions),
                [$"Api:PublicBaseUrl is not set, and this host's own URL {own} cannot stand in for it (status URLs need an https origin, or http on loopback): set Api:PublicBaseUrl to the URL callers reach this host at."]);
        }

        configuration["Api:PublicBaseUrl"] = own;
    }

    private static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out Uri? uri))
        {
            return false;
        }

        return uri.Host == "localhost" || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip));
    }

    private static IEnumerable<string> Split(string? values) =>
        (values ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Requires the configured API key on every route but the status URL (as Functions requires a function key), when
/// one is configured.
/// </summary>
internal sealed class ApiKeyFilter(IOptions<LocalHostOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        string? expected = options.Value.ApiKey;
        if (!string.IsNullOrEmpty(expected))
        {
            HttpRequest request = context.HttpContext.Request;
            // The header only: a key in the query string (the Functions host's ?code=) ends up in logs and browser history.
            string? given = request.Headers["x-functions-key"].FirstOrDefault();
            if (given is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected)))
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "A valid key is required.", detail: "Send the key in the x-functions-key header.", type: "urn:adls-onboarding:problem:api-key");
            }
        }

        return await next(context);
    }
}
