namespace Orchestrator.Callbacks;

/// <summary>
/// One event to deliver to a request's callback URL, in <c>callback_events</c>: the outbox row written in the same
/// transaction as the state change it announces, then claimed and retried by the <see cref="CallbackDeliverer"/>
/// until a 2xx, a 410, or the attempts or the age run out. Its id is the <c>webhook-id</c> of every attempt.
/// </summary>
public sealed class CallbackEvent
{
    public const string Pending = "Pending";
    public const string Delivered = "Delivered";
    public const string Failed = "Failed";

    /// <summary>The <c>webhook-id</c>: <c>evt_</c> and 32 hex digits, the same for every attempt of this event.</summary>
    public string EventId { get; set; } = "";

    public Guid CorrelationId { get; set; }
    public string RequestId { get; set; } = "";

    /// <summary><c>inference.succeeded</c>, <c>inference.failed</c>, <c>inference.cancelled</c> or <c>inference.awaiting_review</c>.</summary>
    public string Type { get; set; } = "";

    public string Url { get; set; } = "";

    /// <summary>The JSON body, fixed when the event was written: every attempt sends the same bytes.</summary>
    public string Body { get; set; } = "";

    /// <summary><see cref="Pending"/> (to deliver), <see cref="Delivered"/> or <see cref="Failed"/> (given up; an operator may redeliver).</summary>
    public string State { get; set; } = Pending;

    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; set; }

    /// <summary>Attempts made before the last redelivery: the attempt budget counts from here.</summary>
    public int AttemptBase { get; set; }

    /// <summary>When the next attempt is due (Pending); also the claim's lease while an attempt runs.</summary>
    public DateTime? NextAttemptAt { get; set; }

    /// <summary>After this no attempt is made: the event's time (or its redelivery's) plus the maximum age.</summary>
    public DateTime ExpiresAt { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
    public int? LastStatus { get; set; }
    public string? LastError { get; set; }

    /// <summary>
    /// A new event, due now. The one way to queue a callback: add it to the DbContext in the transaction that makes
    /// the change it announces, and the <see cref="CallbackDeliverer"/> sends it, whatever wrote it. A request's
    /// events come from the <see cref="CallbackOutbox"/>; a batch's <c>batch.completed</c> is one more such row
    /// (<paramref name="subjectId"/> the batch's id, <paramref name="correlationId"/> its key, the body its status).
    /// </summary>
    public static CallbackEvent Create(string eventId, Guid correlationId, string subjectId, string type, string url, string body, DateTime now,
        CallbackOptions options) => new()
        {
            EventId = eventId,
            CorrelationId = correlationId,
            RequestId = subjectId,
            Type = type,
            Url = url,
            Body = body,
            NextAttemptAt = now,
            ExpiresAt = now + options.MaximumAge,
            CreatedAt = now,
        };
}
