namespace Orchestrator.SimulatedModel.Wire;

/// <summary>Token counts of a completion.</summary>
internal sealed record ChatUsage(int PromptTokens, int CompletionTokens, int TotalTokens);
