namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The logprobs of a choice, one entry per content token.</summary>
internal sealed record ChoiceLogprobs(TokenLogprob[] Content);
