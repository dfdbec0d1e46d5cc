using Orchestrator.Api.Access;

namespace Orchestrator.Fleet;

/// <summary><c>GET /api/fleet</c>: the live workers, each endpoint's breakers and cooldown, and the models whose dispatch is held.</summary>
public static class FleetEndpoints
{
    public static IEndpointRouteBuilder MapFleetApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/fleet", (FleetView fleet) => Results.Ok(fleet.Snapshot()))
            .WithTags("Fleet").WithName("Fleet")
            .WithSummary("Live workers, breaker and cooldown state per endpoint, and held models")
            .Produces<FleetSnapshot>()
            .RequireAuthorization(ApiScopes.Operate);
        return app;
    }
}
