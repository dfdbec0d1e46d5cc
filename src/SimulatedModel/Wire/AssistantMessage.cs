namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The answer message of a choice.</summary>
sealed record AssistantMessage(string Role, string Content);
