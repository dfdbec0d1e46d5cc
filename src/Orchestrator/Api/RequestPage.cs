namespace Orchestrator.Api;

/// <summary>One page of <c>GET /api/requests</c>; pass <see cref="NextCursor"/> as <c>after</c> for the next.</summary>
public sealed record RequestPage(IReadOnlyList<RequestView> Items, string? NextCursor);
