namespace Orchestrator.Api;

/// <summary>The 202 answer to a new submission.</summary>
public sealed record SubmitAccepted(string RequestId, string State, string Location);
