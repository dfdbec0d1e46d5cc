namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The body of <c>GET /stats/requests/{requestId}</c>.</summary>
sealed record RequestCallCount(string RequestId, long Calls);
