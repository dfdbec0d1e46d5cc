namespace Orchestrator.StateMachines;

/// <summary>What the saga endpoint needs from the host's options.</summary>
public sealed record SagaEndpointSettings(int ConcurrencyLimit);
