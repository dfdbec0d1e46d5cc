namespace Orchestrator.Callbacks;

/// <summary>One delivery attempt of a <see cref="CallbackEvent"/>, in <c>callback_deliveries</c>: what an operator reads.</summary>
public sealed class CallbackDelivery
{
    public long Id { get; set; }
    public string EventId { get; set; } = "";
    public Guid CorrelationId { get; set; }
    public string Type { get; set; } = "";
    public int Attempt { get; set; }
    public DateTime AttemptedAt { get; set; }

    /// <summary>The receiver's HTTP status; null when none came (refused, timed out, address not allowed).</summary>
    public int? StatusCode { get; set; }

    /// <summary>Why the attempt did not succeed; null for a 2xx.</summary>
    public string? Error { get; set; }
    public long DurationMs { get; set; }

    /// <summary>When the next attempt is due after this one; null when this one ended the event.</summary>
    public DateTime? NextAttemptAt { get; set; }
}
