namespace Orchestrator.SimulatedModel.Chat;

/// <summary>The parts of a chat-completions request the simulator acts on.</summary>
sealed class ChatRequest
{
    public required string Model { get; init; }

    /// <summary>
    /// Hash of the model and the whole <c>messages</c> content: calls without a request id that share it share a script
    /// counter (with one, the request's own counter applies: <c>ChatCompletionsEndpoint.CallKey</c>).
    /// </summary>
    public required ulong ScriptKey { get; init; }

    /// <summary>The text parts of the last user message, joined by new lines; empty when there is none.</summary>
    public required string LastUserText { get; init; }

    /// <summary>Whitespace-separated words of every text part of every message.</summary>
    public required int PromptTokens { get; init; }

    public int? MaxTokens { get; init; }

    public string[]? Stop { get; init; }

    public bool Logprobs { get; init; }

    public int TopLogprobs { get; init; }

    public bool Stream { get; init; }
}
