namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The OpenAI <c>GET /v1/models</c> list.</summary>
sealed record ModelList(string Object, ModelEntry[] Data);
