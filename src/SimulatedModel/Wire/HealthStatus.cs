namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The body of <c>GET /health</c>.</summary>
internal sealed record HealthStatus(string Status);
