using Orchestrator.SimulatedModel.Admin;
using Orchestrator.SimulatedModel.Chat;
using Orchestrator.SimulatedModel.Wire;

namespace Orchestrator.SimulatedModel;

/// <summary>
/// Maps the simulated model's HTTP surface: the OpenAI-compatible <c>/v1/chat/completions</c> and <c>/v1/models</c>,
/// plus <c>/health</c>, the call statistics under <c>/stats</c> and the outage switch <c>/admin/fault</c>. Needs
/// <see cref="SimulatedModelServiceCollectionExtensions.AddSimulatedModel(IServiceCollection, SimulatedModelOptions)"/>.
/// </summary>
public static class SimulatedModelEndpoints
{
    /// <summary>The name listed by <c>/v1/models</c> when any model name is accepted.</summary>
    public const string DefaultModelName = "simulated-model";

    static readonly HealthStatus Healthy = new("ok");

    /// <summary>Maps every route of the simulated model onto <paramref name="endpoints"/>.</summary>
    public static IEndpointRouteBuilder MapSimulatedModel(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var chat = services.GetRequiredService<ChatCompletionsEndpoint>();
        var stats = services.GetRequiredService<SimulatedModelStats>();
        var options = services.GetRequiredService<SimulatedModelOptions>();

        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string[] names = options.Models.Count == 0 ? [DefaultModelName] : [.. options.Models];
        var models = new ModelList("list", Array.ConvertAll(names, name => new ModelEntry(name, "model", created, "simulated")));

        endpoints.MapPost("/v1/chat/completions", (RequestDelegate)chat.HandleAsync);
        endpoints.MapGet("/v1/models", context => context.Response.WriteAsJsonAsync(models, OpenAiJsonContext.Default.ModelList));
        endpoints.MapGet("/health", context => context.Response.WriteAsJsonAsync(Healthy, StatsJsonContext.Default.HealthStatus));
        endpoints.MapGet("/stats", context => context.Response.WriteAsJsonAsync(
            new StatsSnapshot(stats.TotalCalls, stats.CallsByRequestId()),
            StatsJsonContext.Default.StatsSnapshot));
        endpoints.MapGet("/stats/requests/{requestId}", context =>
        {
            var requestId = (string)context.Request.RouteValues["requestId"]!;
            return context.Response.WriteAsJsonAsync(
                new RequestCallCount(requestId, stats.CallsFor(requestId)),
                StatsJsonContext.Default.RequestCallCount);
        });
        endpoints.MapFaultOverride(services.GetRequiredService<FaultOverride>());
        endpoints.MapPost("/stats/reset", context =>
        {
            stats.Reset();
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
        return endpoints;
    }
}
