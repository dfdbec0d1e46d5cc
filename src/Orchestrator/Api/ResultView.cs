namespace Orchestrator.Api;

/// <summary>The model's answer.</summary>
public sealed record ResultView
{
    public required string Output { get; init; }
    public string? FinishReason { get; init; }
    public int? PromptTokens { get; init; }
    public int? CompletionTokens { get; init; }
}
