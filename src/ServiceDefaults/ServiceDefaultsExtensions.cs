using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Orchestrator.ServiceDefaults;

/// <summary>The one call a process's composition root makes for what every process shares (as eShop's <c>AddServiceDefaults</c>).</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// What every process of the product sets up the same way: its log format (<see cref="LoggingExtensions.AddServiceLogging"/>),
    /// OpenTelemetry with its own meters and activity sources (<see cref="TelemetryExtensions.AddServiceTelemetry"/>) and
    /// health checks; <see cref="TelemetryExtensions.MapServiceEndpoints"/> serves them.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, string serviceName, IEnumerable<string> meters, IEnumerable<string> sources)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddServiceLogging(builder.Configuration);
        builder.Services.AddServiceTelemetry(builder.Configuration, serviceName, meters, sources);
        builder.Services.AddHealthChecks();
        return builder;
    }
}
