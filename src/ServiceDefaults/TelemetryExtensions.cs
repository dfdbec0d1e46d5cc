using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Orchestrator.ServiceDefaults;

/// <summary>Metrics, traces and health endpoints, the same in every process of the product.</summary>
public static class TelemetryExtensions
{
    /// <summary>The health-check tag of the checks that make a process ready (not merely alive).</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// OpenTelemetry for this process: our meters and activity sources, MassTransit's, ASP.NET Core's and
    /// HttpClient's; a Prometheus scrape endpoint (map it with <see cref="MapServiceEndpoints"/>); OTLP export
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    /// <remarks>
    /// Traces are recorded only where they go somewhere: with an OTLP endpoint, or when <c>Telemetry:Tracing</c> is
    /// <c>true</c> (e.g. for a listener of your own). Without an exporter, the spans of every saga message, publish
    /// and HTTP call were built and dropped; <c>false</c> turns tracing off even with an endpoint.
    /// </remarks>
    public static IServiceCollection AddServiceTelemetry(this IServiceCollection services, IConfiguration configuration,
        string serviceName, IEnumerable<string> meters, IEnumerable<string> sources)
    {
        var otlp = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(m =>
            {
                m.AddMeter([.. meters, "MassTransit", RedeliveryCountFilter.MeterName]);
                m.AddAspNetCoreInstrumentation();
                m.AddHttpClientInstrumentation();
                m.AddPrometheusExporter();
                if (otlp)
                    m.AddOtlpExporter();
            });
        if (configuration.GetValue<bool?>("Telemetry:Tracing") ?? otlp)
        {
            telemetry.WithTracing(t =>
            {
                t.AddSource([.. sources, "MassTransit"]);
                t.AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health"));
                t.AddHttpClientInstrumentation();
                if (otlp)
                    t.AddOtlpExporter();
            });
        }
        return services;
    }

    /// <summary><c>/health/live</c> (the process serves), <c>/health/ready</c> (every ready check passes), <c>/metrics</c>.</summary>
    /// <param name="app">The routes.</param>
    /// <param name="showsDetail">
    /// Who may read each check's description and error in <c>/health/ready</c>; everyone else gets each check's
    /// status only, since an exception's message can name hosts, users and paths. Null: nobody (the failing check's
    /// detail is logged by the health check service all the same).
    /// </param>
    public static IEndpointRouteBuilder MapServiceEndpoints(this IEndpointRouteBuilder app, Func<HttpContext, bool>? showsDetail = null)
    {
        // Probes and scrapes never need an API key, even where keys are required for everything else.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = (http, report) => HealthReportWriter.WriteAsync(http, report, showsDetail?.Invoke(http) == true),
        }).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        return app;
    }
}
