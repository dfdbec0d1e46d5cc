namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The body of <c>PUT /admin/fault</c>: a script step (<c>503</c>, <c>slow:8000</c>, ...) and for how many seconds.</summary>
sealed record FaultOverrideRequest(string? Step, double? Seconds);
