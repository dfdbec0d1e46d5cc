using Orchestrator.StateMachines;

namespace Orchestrator.Batches;

/// <summary>The shape of <c>GET /api/batches/{batchId}</c>. Timestamps are UTC, serialised with <c>Z</c>.</summary>
public sealed record BatchView
{
    public const string InProgress = nameof(InProgress);
    public const string Completed = nameof(Completed);
    public const string Cancelled = nameof(Cancelled);

    public required string BatchId { get; init; }

    /// <summary>InProgress while any request has not finished (AwaitingReview and Paused have not); then Cancelled if an operator cancelled the batch, else Completed.</summary>
    public required string State { get; init; }
    public required int Total { get; init; }

    /// <summary>Requests by state, every state named.</summary>
    public required IReadOnlyDictionary<string, int> Counts { get; init; }
    public required DateTime CreatedAt { get; init; }

    /// <summary>When its last request finished; null while InProgress.</summary>
    public DateTime? CompletedAt { get; init; }
    public int? Priority { get; init; }
    public string? CompletionWindow { get; init; }

    /// <summary>
    /// The batch's callback: on <c>GET /api/batches/{id}</c> every event with every delivery attempt, in the list every
    /// event without them, in a <c>batch.completed</c> body only the URL; null without one.
    /// </summary>
    public Callbacks.CallbackView? Callback { get; init; }

    /// <summary>The subject its callback events are loaded by; null without a callback.</summary>
    public static Callbacks.CallbackView.Subject? CallbackOf(BatchRecord batch) =>
        batch.CallbackUrl is null ? null : new(BatchIdentity.CallbackKey(batch.Id), batch.CallbackUrl, batch.CreatedAt);

    /// <summary>What a batch's rows say: its counts by state and when its last request finished.</summary>
    public sealed record Progress(IReadOnlyDictionary<string, int> Counts, DateTime? LastCompletedAt);

    /// <summary>The batch as its rows say; <paramref name="callback"/> in place of the bare URL when its events are loaded.</summary>
    public static BatchView From(BatchRecord batch, Progress progress, Callbacks.CallbackView? callback = null)
    {
        var counts = RequestStates.All.ToDictionary(s => s, s => progress.Counts.GetValueOrDefault(s));
        var unfinished = counts.Where(c => !RequestStates.IsTerminal(c.Key)).Sum(c => c.Value);
        var finished = unfinished == 0;
        return new BatchView
        {
            BatchId = batch.Id,
            State = !finished ? InProgress : batch.CancelledAt is not null ? Cancelled : Completed,
            Total = batch.Total,
            Counts = counts,
            CreatedAt = batch.CreatedAt,
            CompletedAt = finished ? progress.LastCompletedAt ?? batch.CompletedAt ?? batch.CreatedAt : null,
            Priority = batch.Priority,
            CompletionWindow = batch.CompletionWindow,
            Callback = callback ?? (batch.CallbackUrl is null ? null : new Callbacks.CallbackView { Url = batch.CallbackUrl }),
        };
    }
}
