using Orchestrator.StateMachines;

namespace Orchestrator.Api;

/// <summary>One element of <c>attempts</c>.</summary>
public sealed record AttemptView
{
    public required int Attempt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? FinishedAt { get; init; }
    public required string Outcome { get; init; }
    public string? FailureKind { get; init; }
    public int? HttpStatus { get; init; }
    public long? BackoffMs { get; init; }
    public string? Endpoint { get; init; }
    public string? WorkerId { get; init; }
    public long? LatencyMs { get; init; }
    public string? Reason { get; init; }

    public static AttemptView From(AttemptRecord a) => new()
    {
        Attempt = a.Attempt,
        StartedAt = a.StartedAt,
        FinishedAt = a.FinishedAt,
        Outcome = a.Outcome,
        FailureKind = a.FailureKind,
        HttpStatus = a.HttpStatus,
        BackoffMs = a.BackoffMs,
        Endpoint = a.Endpoint,
        WorkerId = a.WorkerId,
        LatencyMs = a.LatencyMs,
        Reason = a.Reason,
    };
}
