namespace Orchestrator.Contracts;

/// <summary>Sampling parameters passed to the model; null means the endpoint's default.</summary>
public sealed record GenerationParameters
{
    /// <summary>0 to 2.</summary>
    public double? Temperature { get; init; }

    /// <summary>1 to 32,768 by default (configurable).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Greater than 0, at most 1.</summary>
    public double? TopP { get; init; }

    /// <summary>Stop sequences.</summary>
    public IReadOnlyList<string>? Stop { get; init; }
}
