namespace Orchestrator.Batches;

/// <summary>
/// A batch file as a whole, in <c>batches</c>: its requests are ordinary request rows carrying its id. Timestamps are UTC.
/// </summary>
public sealed class BatchRecord
{
    /// <summary>The Idempotency-Key it was submitted with, or a generated one; the same charset and length as a request id.</summary>
    public string Id { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    /// <summary>Lines in the file: one request each.</summary>
    public int Total { get; set; }

    /// <summary>The <c>priority</c> the batch was submitted with, if any (a line's own wins).</summary>
    public int? Priority { get; set; }

    /// <summary>The <c>completionWindow</c> it was submitted with, as given (e.g. <c>24h</c>).</summary>
    public string? CompletionWindow { get; set; }

    /// <summary>When an operator cancelled the batch; its finished state then reads Cancelled.</summary>
    public DateTime? CancelledAt { get; set; }

    /// <summary>When an operator retried the batch: the completion sweep watches it until it completes again.</summary>
    public DateTime? ReopenedAt { get; set; }

    /// <summary>When its last request finished, as the completion sweep recorded it; null before.</summary>
    public DateTime? CompletedAt { get; set; }

    /// <summary>How many times it completed (a retried batch completes again): names each BatchCompleted.</summary>
    public int CompletionRun { get; set; }

    /// <summary>When the BatchCompleted of <see cref="CompletionRun"/> was published; null while it is due.</summary>
    public DateTime? PublishedAt { get; set; }

    /// <summary>Where each completion is announced as a signed <c>batch.completed</c> callback; null for none.</summary>
    public string? CallbackUrl { get; set; }
}
