namespace Orchestrator.SimulatedModel.Wire;

/// <summary>A candidate token at one position.</summary>
sealed record TopLogprob(string Token, double Logprob, int[] Bytes);
