namespace Orchestrator.SimulatedModel.Wire;

/// <summary>One generated token with its log probability and the most likely alternatives.</summary>
sealed record TokenLogprob(string Token, double Logprob, int[] Bytes, TopLogprob[] TopLogprobs);
