namespace Orchestrator.SimulatedModel.Wire;

/// <summary>A candidate token at one position.</summary>
internal sealed record TopLogprob(string Token, double Logprob, int[] Bytes);
