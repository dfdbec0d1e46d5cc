namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The OpenAI <c>chat.completion</c> object.</summary>
sealed record ChatCompletionResponse(
    string Id,
    string Object,
    long Created,
    string Model,
    ChatChoice[] Choices,
    ChatUsage Usage);
