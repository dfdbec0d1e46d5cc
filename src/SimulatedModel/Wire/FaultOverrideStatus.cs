namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The body of <c>GET /admin/fault</c>: the step every call takes now and until when, or nulls.</summary>
sealed record FaultOverrideStatus(string? Step, DateTimeOffset? Until);
