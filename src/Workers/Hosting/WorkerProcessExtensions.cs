using MassTransit;
using Orchestrator.ServiceDefaults;

namespace Orchestrator.Workers.Hosting;

/// <summary>The standalone worker process, as <c>Program.cs</c> composes it (the embedded orchestrator composes the parts itself).</summary>
public static class WorkerProcessExtensions
{
    /// <summary>Where the worker serves its health and metrics when no URL is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5081";

    /// <summary>
    /// The worker's services and consumers, on RabbitMQ at <paramref name="rabbitMq"/> as one of any number of
    /// competing consumers; listening on <see cref="DefaultUrl"/> unless <c>urls</c> is set.
    /// </summary>
    public static WebApplicationBuilder AddWorkers(this WebApplicationBuilder builder, Uri rabbitMq)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);
        builder.Services.AddWorkerServices();
        builder.Services.AddMessageBus(bus =>
        {
            bus.AddWorkerConsumers();
            bus.UsingRabbitMqAt(rabbitMq, (context, cfg) => cfg.ConfigureEndpoints(context));
        });
        return builder;
    }
}
