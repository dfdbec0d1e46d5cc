namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The body of <c>GET /health</c>.</summary>
sealed record HealthStatus(string Status);
