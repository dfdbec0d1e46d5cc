namespace Orchestrator.Api.Access;

/// <summary>
/// Whether this process requires API keys and why, and whether it listens on loopback only, as decided from the
/// addresses the server bound.
/// </summary>
public sealed record ApiAccessDecision(bool KeysRequired, string Why, bool LoopbackOnly, IReadOnlyList<string> Addresses);
