namespace Orchestrator.Batches;

/// <summary>A page of <c>GET /api/batches</c>, newest first; <see cref="Next"/> is the <c>after</c> of the next page, null on the last.</summary>
public sealed record BatchPage(IReadOnlyList<BatchView> Items, string? Next);
