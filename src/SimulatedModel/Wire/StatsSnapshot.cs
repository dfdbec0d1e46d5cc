namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The body of <c>GET /stats</c>.</summary>
sealed record StatsSnapshot(long TotalCalls, IReadOnlyDictionary<string, long> ByRequestId);
