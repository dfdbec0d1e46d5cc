namespace Orchestrator.Bench;

/// <summary>Bad command line: the message says which argument and why; the process exits 2.</summary>
public sealed class BenchUsageException(string message) : Exception(message);
