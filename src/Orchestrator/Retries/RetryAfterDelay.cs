namespace Orchestrator.Retries;

/// <summary>Try again once <paramref name="Delay"/> has passed.</summary>
/// <param name="Delay">How long to wait before the next attempt.</param>
/// <param name="DueAtUtc">When the next attempt is due: the decision's "now" plus <paramref name="Delay"/>.</param>
public sealed record RetryAfterDelay(TimeSpan Delay, DateTime DueAtUtc) : RetryDecision;
