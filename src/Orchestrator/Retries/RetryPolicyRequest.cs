namespace Orchestrator.Retries;

/// <summary>
/// A caller's per-request adjustment of the retry policy. A field left null keeps the configured value.
/// Requests cannot exceed the operator's caps: <see cref="MaximumAttempts"/> above
/// <see cref="RetryPolicyOptions.MaximumAttemptsCap"/> (or 0 or less, "unlimited") is silently lowered to the cap, and
/// intervals above <see cref="RetryPolicyOptions.MaximumIntervalCap"/> are silently lowered to that cap. Negative
/// intervals count as 0 and a coefficient below 1 (or NaN) counts as 1, so a bad request can never produce a bad delay.
/// </summary>
/// <param name="MaximumAttempts">Attempts in total, the first one included.</param>
/// <param name="InitialIntervalMs">Milliseconds before the first retry.</param>
/// <param name="BackoffCoefficient">The factor the delay grows by with each retry.</param>
/// <param name="MaximumIntervalMs">The longest delay between two attempts, in milliseconds.</param>
public sealed record RetryPolicyRequest(int? MaximumAttempts, int? InitialIntervalMs, double? BackoffCoefficient, int? MaximumIntervalMs);
