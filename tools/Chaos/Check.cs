namespace Orchestrator.Chaos;

/// <summary>One invariant of the run: what must hold, what was found, whether it held.</summary>
public sealed record Check(string Name, string Expected, string Actual, bool Ok);
