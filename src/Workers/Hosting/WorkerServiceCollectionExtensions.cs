using MassTransit;
using Microsoft.Extensions.Options;
using Orchestrator.ServiceDefaults;
using Orchestrator.Workers.Consumers;
using Orchestrator.Workers.Fleet;
using Orchestrator.Workers.ModelClient;
using Orchestrator.Workers.Resilience;
using Orchestrator.Workers.Telemetry;

namespace Orchestrator.Workers.Hosting;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>The worker's services: options (validated at start), the model client and its connection pool.</summary>
    public static IServiceCollection AddWorkerServices(this IServiceCollection services)
    {
        services.AddValidatedOptions<WorkerOptions>(WorkerOptions.SectionName);
        services.AddValidatedOptions<ClassificationOptions>(ClassificationOptions.SectionName);
        services.AddSingleton(sp => new FailureClassifier(sp.GetRequiredService<IOptions<ClassificationOptions>>().Value));
        services.TryAddSingletonTimeProvider();
        services.AddMetrics();
        services.AddSingleton<WorkerMetrics>();
        services.AddSingleton<TokenUsageLog>();
        services.AddSingleton<EndpointBreakers>();
        services.AddSingleton<EndpointCooldowns>();
        services.AddSingleton<FleetPeers>();
        services.AddSingleton<CancelledRequests>();
        services.AddSingleton<EndpointLimits>();
        services.AddSingleton<EndpointSelector>();
        services.AddSingleton<HeldInvokes>();
        services.AddSingleton<HeartbeatPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<HeartbeatPublisher>());
        services.AddHttpClient<ChatCompletionsClient>(ChatCompletionsClient.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // One pool per endpoint, sized for many concurrent calls; recycled so DNS changes are seen.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = 1024,
                ConnectTimeout = sp.GetRequiredService<IOptions<WorkerOptions>>().Value.ConnectTimeout,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        return services;
    }

    /// <summary>The worker's consumers, on the bus the caller configures.</summary>
    public static IBusRegistrationConfigurator AddWorkerConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<InvokeModelConsumer, InvokeModelConsumerDefinition>();
        bus.AddConsumer<FleetSignalsConsumer, FleetSignalsConsumerDefinition>();
        return bus;
    }

    static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
            services.AddSingleton(TimeProvider.System);
    }
}
