using Orchestrator.Sagas.EntityFrameworkCore;

namespace Orchestrator.StateMachines;

/// <summary>One attempt at calling the model: a row of <c>inference_attempts</c>, the decision path operators read.</summary>
public class AttemptRecord : ISagaChildRow
{
    public Guid CorrelationId { get; set; }
    public int Attempt { get; set; }
    public string? WorkerId { get; set; }
    public string? Endpoint { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    /// <summary><see cref="AttemptOutcome"/> as text.</summary>
    public string Outcome { get; set; } = AttemptOutcome.Running;

    public string? FailureKind { get; set; }

    /// <summary>The failure's cause key (<c>http-503</c>, <c>timeout</c>, ...), which retry overrides are keyed by.</summary>
    public string? Cause { get; set; }
    public int? HttpStatus { get; set; }
    public long? LatencyMs { get; set; }
    public string? Reason { get; set; }

    /// <summary>The backoff chosen before the next attempt, when one was scheduled.</summary>
    public long? BackoffMs { get; set; }

    /// <summary>When the next attempt was scheduled for, after this one failed.</summary>
    public DateTime? ScheduledFor { get; set; }

    /// <summary>When the backoff timer actually fired.</summary>
    public DateTime? FiredAt { get; set; }

    /// <summary>The endpoint's Retry-After, when it sent one.</summary>
    public long? RetryAfterMs { get; set; }

    /// <summary>A result that arrived after the attempt was already decided (e.g. after its timeout): recorded, not applied.</summary>
    public string? StaleResult { get; set; }

    public int? PromptTokens { get; set; }
    public int? CompletionTokens { get; set; }

    /// <summary>A worker's result: who ran it, where, when, and how it ended.</summary>
    public void Finish(string workerId, string? endpoint, DateTimeOffset startedAt, DateTimeOffset finishedAt, string outcome)
    {
        WorkerId ??= workerId;
        Endpoint = endpoint;
        StartedAt ??= startedAt.UtcDateTime;
        FinishedAt = finishedAt.UtcDateTime;
        LatencyMs = (long)(finishedAt - startedAt).TotalMilliseconds;
        Outcome = outcome;
    }
}
