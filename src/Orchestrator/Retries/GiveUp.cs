using Orchestrator.Contracts;

namespace Orchestrator.Retries;

/// <summary>Stop retrying: the request fails with <paramref name="Kind"/>.</summary>
/// <param name="Kind">The kind the request fails with.</param>
/// <param name="Reason">Why, including the last attempt's failure reason.</param>
public sealed record GiveUp(FailureKind Kind, string Reason) : RetryDecision;
