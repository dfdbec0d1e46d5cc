using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Orchestrator.ServiceDefaults;

/// <summary>The MassTransit bus as every process of the product hosts it.</summary>
public static class MessageBusExtensions
{
    /// <summary>
    /// MassTransit with what <paramref name="configure"/> registers (consumers, sagas, the transport), hosted the
    /// same way everywhere: the start waits for the bus, and the stop gives messages in flight 30 s to finish.
    /// </summary>
    public static IServiceCollection AddMessageBus(this IServiceCollection services, Action<IBusRegistrationConfigurator> configure)
    {
        services.AddMassTransit(configure);
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            // Without this, messages published right after start can be lost.
            o.WaitUntilStarted = true;
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return services;
    }

    /// <summary>
    /// The RabbitMQ transport on the broker at <paramref name="host"/> (see <see cref="RabbitMqHost"/>), then what
    /// <paramref name="configure"/> adds: endpoints, filters. Every endpoint takes a message only as the type of the
    /// exchange it was published to (<see cref="PublishedTypeFilter"/>), and counts what the broker delivers again
    /// (<see cref="RedeliveryCountFilter"/>).
    /// </summary>
    public static void UsingRabbitMqAt(this IBusRegistrationConfigurator bus, Uri host,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator> configure)
    {
        // A refusal is final: an endpoint that retries messages must not retry it (InferenceRequestStateDefinition).
        bus.AddConfigureEndpointsCallback((name, endpoint) =>
        {
            endpoint.UseFilter(new RedeliveryCountFilter(name));
            endpoint.UseFilter(new PublishedTypeFilter(name));
        });
        bus.UsingRabbitMq((context, cfg) =>
        {
            cfg.Host(host);
            configure(context, cfg);
        });
    }
}
