namespace Orchestrator.Retries;

/// <summary>What a request has been through so far, as the retry planner needs it.</summary>
/// <param name="AttemptsMade">Attempts made so far, including the one that just failed (at least 1).</param>
/// <param name="FailuresWithSameCause">Failures with the same cause as the one that just failed, including it (at least 1).</param>
/// <param name="PreviousDelay">The delay before the attempt that just failed; null when it was the first attempt.</param>
public sealed record RetryHistory(int AttemptsMade, int FailuresWithSameCause, TimeSpan? PreviousDelay);
