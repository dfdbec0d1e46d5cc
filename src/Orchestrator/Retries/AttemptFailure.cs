using Orchestrator.Contracts;

namespace Orchestrator.Retries;

/// <summary>What the worker reported about one failed attempt.</summary>
/// <param name="Kind">The failure's classification.</param>
/// <param name="Cause">The worker's lower-case cause key ("timeout", "connect", "reset", "malformed", "http-429", "http-503", "http-401", ...), used to find a per-cause override; null when unknown.</param>
/// <param name="Reason">A human-readable description, carried into the give-up reason.</param>
/// <param name="RetryAfter">The server's Retry-After, if it sent one: the next attempt is never sooner.</param>
public sealed record AttemptFailure(FailureKind Kind, string? Cause, string Reason, TimeSpan? RetryAfter);
