namespace Orchestrator.SimulatedModel.Scripting;

/// <summary>What one call of a script (or a random fault) does.</summary>
enum StepKind
{
    /// <summary>A normal answer.</summary>
    Ok,

    /// <summary>An error status with an OpenAI error body; the value is the status code.</summary>
    Status,

    /// <summary>429 with <c>Retry-After</c>; the value is the seconds, or -1 for the default.</summary>
    RateLimited,

    /// <summary>Never answers: holds the request until the client leaves or the hold time passes.</summary>
    Timeout,

    /// <summary>Drops the connection without an answer.</summary>
    Reset,

    /// <summary>A normal answer after the value in milliseconds.</summary>
    Slow,

    /// <summary>A normal answer whose logprobs show low confidence.</summary>
    LowConfidence,

    /// <summary>
    /// A normal answer whose OpenAI-style rate-limit headers say the key's quota is spent (no requests, no tokens left)
    /// until a reset; the value is the seconds to the reset.
    /// </summary>
    Exhausted,
}
