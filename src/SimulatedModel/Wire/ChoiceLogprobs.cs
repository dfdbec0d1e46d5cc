namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The logprobs of a choice, one entry per content token.</summary>
sealed record ChoiceLogprobs(TokenLogprob[] Content);
