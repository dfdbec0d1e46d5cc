namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The OpenAI error envelope: <c>{"error":{...}}</c>.</summary>
internal sealed record ErrorResponse(ErrorBody Error);
