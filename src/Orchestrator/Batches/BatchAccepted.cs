namespace Orchestrator.Batches;

/// <summary>The 202 answer to <c>POST /api/batches</c>: the batch's id and how many requests it holds.</summary>
public sealed record BatchAccepted(string BatchId, int Requests, string Location);
