using AdlsOnboarding.Workflow.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AdlsOnboarding.Api;

/// <summary>Wires the HTTP API into a host, beside <c>AddAdlsOnboardingWorkflow()</c>, which it builds on.</summary>
public static class ApiServiceCollectionExtensions
{
    /// <summary>Registers the API's options (validated at start-up), the status-token keys and the handlers.</summary>
    public static IServiceCollection AddAdlsOnboardingApi(this IServiceCollection services)
    {
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();

        // The status-token key is one of the app's own secrets: a request naming it is refused (see ReservedSecretNames).
        services.AddOptions<ReservedSecretNames>()
            .Configure<IOptions<ApiOptions>>((reserved, api) => reserved.Add(api.Value.StatusTokenKeySecretName));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ConfiguredStatusTokenKeys>();
        services.TryAddSingleton<KeyVaultStatusTokenKeys>();
        services.TryAddSingleton<IStatusTokenKeys>(sp => string.IsNullOrEmpty(sp.GetRequiredService<IOptions<ApiOptions>>().Value.StatusTokenKeySecretName)
            ? sp.GetRequiredService<ConfiguredStatusTokenKeys>()
            : sp.GetRequiredService<KeyVaultStatusTokenKeys>());
        services.AddHostedService<StatusTokenKeysLoader>();
        services.TryAddSingleton<StatusTokenService>();
        services.TryAddSingleton<PublicUrlBuilder>();
        services.TryAddSingleton<AccountsApi>();
        services.TryAddSingleton<OnboardingApi>();
        return services;
    }
}
