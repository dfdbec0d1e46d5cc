namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The OpenAI error envelope: <c>{"error":{...}}</c>.</summary>
sealed record ErrorResponse(ErrorBody Error);
