namespace Orchestrator.DeadLetters;

/// <summary>A message MassTransit gave up on, as a collector recorded it (table <c>dead_letters</c>).</summary>
public sealed class DeadLetter
{
    public const string Pending = "Pending";
    public const string Requeued = "Requeued";
    public const string Discarded = "Discarded";

    public long Id { get; set; }
    public DateTime ReceivedAt { get; set; }

    /// <summary>The <c>_error</c> or <c>_skipped</c> queue it arrived in.</summary>
    public string Queue { get; set; } = "";

    /// <summary>The queue it failed in, where a requeue sends it back.</summary>
    public string SourceQueue { get; set; } = "";

    /// <summary><c>error</c> (a consumer threw, or the message could not be read) or <c>skipped</c> (no consumer for its type).</summary>
    public string Kind { get; set; } = "";

    public string? MessageId { get; set; }
    public string? MessageType { get; set; }
    public string? RequestId { get; set; }
    public string Reason { get; set; } = "";
    public string? ContentType { get; set; }

    /// <summary>The transport headers, as a JSON object.</summary>
    public string Headers { get; set; } = "{}";

    public byte[] Body { get; set; } = [];
    public string Status { get; set; } = Pending;
    public DateTime? ResolvedAt { get; set; }
    public string? ResolvedBy { get; set; }
}
