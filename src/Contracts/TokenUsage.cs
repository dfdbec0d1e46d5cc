namespace Orchestrator.Contracts;

/// <summary>Tokens counted by the model endpoint for one call.</summary>
public sealed record TokenUsage
{
    /// <summary>Tokens in the prompt.</summary>
    public int PromptTokens { get; init; }

    /// <summary>Tokens generated.</summary>
    public int CompletionTokens { get; init; }

    /// <summary>Both together.</summary>
    public int TotalTokens { get; init; }
}
