namespace Orchestrator.Workers.Resilience;

/// <summary>A breaker changed state: for the log and the transitions counter.</summary>
/// <param name="Endpoint">The endpoint's name.</param>
/// <param name="From">The state before.</param>
/// <param name="To">The state after.</param>
/// <param name="Why">What made it change, for people.</param>
/// <param name="At">When.</param>
/// <param name="OpenUntil">The end of the break, when it opened.</param>
public sealed record BreakerTransition(string Endpoint, BreakerState From, BreakerState To, string Why, DateTimeOffset At, DateTimeOffset? OpenUntil);
