namespace Orchestrator.Retries;

/// <summary>How a retry delay is randomised so that requests which failed together do not retry together.</summary>
public enum JitterKind
{
    /// <summary>No randomness: the delay is exactly the exponential backoff.</summary>
    None = 0,

    /// <summary>The backoff times a uniform draw from [0.5, 1.0): never more than half the backoff shorter. The reference design.</summary>
    Proportional = 1,

    /// <summary>A uniform draw from [0, backoff): spreads retries the most, but some retry almost at once.</summary>
    Full = 2,

    /// <summary>AWS "decorrelated jitter": min(maximum, uniform(initial, previous delay × 3)); the first retry uses the initial interval as the previous delay.</summary>
    Decorrelated = 3,
}
