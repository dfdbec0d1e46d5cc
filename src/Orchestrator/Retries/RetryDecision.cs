namespace Orchestrator.Retries;

/// <summary>What to do after a failed attempt: <see cref="RetryAfterDelay"/> or <see cref="GiveUp"/>.</summary>
public abstract record RetryDecision
{
    // Closed hierarchy: callers switch over the two outcomes and must not meet a third.
    private protected RetryDecision()
    {
    }
}
