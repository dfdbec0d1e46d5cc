namespace Orchestrator.SimulatedModel.Wire;

/// <summary>One choice of a completion; <see cref="Logprobs"/> is null unless the request asked for logprobs.</summary>
sealed record ChatChoice(int Index, AssistantMessage Message, ChoiceLogprobs? Logprobs, string FinishReason);
