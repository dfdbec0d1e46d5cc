namespace Orchestrator.Batches;

/// <summary>One refused line in a batch's 400 answer: <c>{"line", "customId", "error"}</c>.</summary>
public sealed record BatchLineError(int Line, string? CustomId, string Error);
