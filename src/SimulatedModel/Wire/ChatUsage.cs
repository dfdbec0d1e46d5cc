namespace Orchestrator.SimulatedModel.Wire;

/// <summary>Token counts of a completion.</summary>
sealed record ChatUsage(int PromptTokens, int CompletionTokens, int TotalTokens);
