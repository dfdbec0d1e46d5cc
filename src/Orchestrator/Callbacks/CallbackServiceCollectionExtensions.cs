using Orchestrator.ServiceDefaults;

namespace Orchestrator.Callbacks;

public static class CallbackServiceCollectionExtensions
{
    /// <summary>
    /// Completion callbacks: their options, the outbox written with each state change (an interceptor the
    /// orchestrator's DbContext adds), the hardened HTTP client and the deliverer.
    /// </summary>
    public static IServiceCollection AddCallbacks(this IServiceCollection services)
    {
        services.AddValidatedOptions<CallbackOptions>(CallbackOptions.SectionName);
        services.AddSingleton<CallbackWakeups>();
        services.AddSingleton<CallbackOutbox>();
        services.AddSingleton<CallbackHttp>();
        services.AddHostedService<CallbackDeliverer>();
        return services;
    }
}
