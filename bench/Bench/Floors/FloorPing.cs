namespace Orchestrator.Bench.Floors;

/// <summary>The MassTransit floor's message: the size and shape of a small submission (types need a namespace).</summary>
public sealed record FloorPing(Guid CorrelationId, string Model, string Prompt, DateTime RequestedAt);
