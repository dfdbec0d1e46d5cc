using System.Text.Json;
using Orchestrator.StateMachines;

namespace Orchestrator.Api;

/// <summary>The shape of <c>GET /api/requests/{requestId}</c>. Timestamps are UTC, serialised with <c>Z</c>.</summary>
public sealed record RequestView
{
    public required string RequestId { get; init; }
    public required string State { get; init; }
    /// <summary>
    /// Attempts dispatched: the one in flight (Pending, Processing), else the last one made; 0 before the first. A
    /// dispatch held by a cooldown or refused by open breakers is not counted.
    /// </summary>
    public required int Attempt { get; init; }

    /// <summary>The number the next attempt will carry, always <see cref="Attempt"/> + 1, while the request waits for it (RetryScheduled, or Paused with none in flight).</summary>
    public int? NextAttempt { get; init; }

    /// <summary>When the next attempt is due (RetryScheduled).</summary>
    public DateTime? NextAttemptAt { get; init; }
    public string? FailureKind { get; init; }
    public string? Reason { get; init; }
    public double? Confidence { get; init; }

    /// <summary>What the output gate said, and the review's verdict.</summary>
    public string? Decision { get; init; }
    public ResultView? Result { get; init; }
    public required string Model { get; init; }

    /// <summary>1–5, 5 the most urgent.</summary>
    public int Priority { get; init; }
    public string? SourceService { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    public DateTime? Deadline { get; init; }
    public required DateTime CreatedAt { get; init; }
    public required DateTime UpdatedAt { get; init; }
    public DateTime? CompletedAt { get; init; }

    /// <summary>When an operator paused the request (state Paused).</summary>
    public DateTime? PausedAt { get; init; }

    /// <summary>
    /// Dispatch is held until then because no endpoint of the model may be called (breakers open, or every endpoint
    /// cooling down for the fleet); the attempt is not spent. Not a state: the request shows RetryScheduled meanwhile.
    /// </summary>
    public DateTime? HeldUntil { get; init; }

    /// <summary>Why dispatch is held.</summary>
    public string? HeldReason { get; init; }

    /// <summary>1, or more once an operator has retried the request after it failed.</summary>
    public int Run { get; init; } = 1;
    public IReadOnlyList<AttemptView>? Attempts { get; init; }

    /// <summary>The batch the request came in, and its line's custom_id; null for a request submitted alone.</summary>
    public string? BatchId { get; init; }
    public string? CustomId { get; init; }

    /// <summary>The request's callback and, on <c>GET /api/requests/{id}</c>, every delivery attempt; null without one.</summary>
    public Callbacks.CallbackView? Callback { get; init; }

    public static RequestView From(InferenceRequestState saga, bool withAttempts) => new()
    {
        RequestId = saga.RequestId,
        State = saga.CurrentState ?? RequestStates.Pending,
        Attempt = saga.Attempt,
        NextAttempt = saga.CurrentState == RequestStates.RetryScheduled || (saga.CurrentState == RequestStates.Paused && !saga.AttemptInFlight)
            ? saga.Attempt + 1
            : null,
        NextAttemptAt = saga.NextAttemptAt,
        FailureKind = saga.FailureKind,
        Reason = saga.Reason,
        Confidence = saga.Confidence,
        Decision = saga.Decision,
        Result = saga.Output is null ? null : new ResultView
        {
            Output = saga.Output,
            FinishReason = saga.FinishReason,
            PromptTokens = saga.PromptTokens,
            CompletionTokens = saga.CompletionTokens,
        },
        Model = saga.Model,
        Priority = saga.Priority,
        SourceService = saga.SourceService,
        Metadata = saga.Metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(saga.Metadata),
        Deadline = saga.Deadline,
        CreatedAt = saga.CreatedAt,
        UpdatedAt = saga.UpdatedAt,
        CompletedAt = saga.CompletedAt,
        PausedAt = saga.PausedAt,
        HeldUntil = saga.HeldUntil,
        HeldReason = saga.HeldReason,
        Run = saga.Run,
        BatchId = saga.BatchId,
        CustomId = saga.CustomId,
        Attempts = withAttempts ? saga.Attempts.OrderBy(a => a.Attempt).Select(AttemptView.From).ToList() : null,
        Callback = Callbacks.CallbackView.Of(saga),
    };
}
