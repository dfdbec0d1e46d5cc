namespace Orchestrator.Contracts;

/// <summary>
/// Sampling parameters passed to the model, as OpenAI's chat completions name them; null means the endpoint's default.
/// </summary>
/// <remarks>
/// On the wire the orchestrator reads them under <c>parameters</c> or at the top level of the request, in camelCase
/// (<c>maxTokens</c>) or OpenAI's snake_case (<c>max_tokens</c>); each may be given once.
/// </remarks>
public sealed record GenerationParameters
{
    /// <summary>0 to 2 (<c>temperature</c>).</summary>
    public double? Temperature { get; init; }

    /// <summary>1 to 32,768 by default, configurable (<c>max_tokens</c>).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Greater than 0, at most 1 (<c>top_p</c>).</summary>
    public double? TopP { get; init; }

    /// <summary>Up to 4 stop sequences, none empty (<c>stop</c>: a string or an array of strings).</summary>
    public IReadOnlyList<string>? Stop { get; init; }

    /// <summary>A seed for endpoints that sample deterministically (<c>seed</c>).</summary>
    public long? Seed { get; init; }

    /// <summary>-2 to 2 (<c>presence_penalty</c>).</summary>
    public double? PresencePenalty { get; init; }

    /// <summary>-2 to 2 (<c>frequency_penalty</c>).</summary>
    public double? FrequencyPenalty { get; init; }
}
