using Microsoft.EntityFrameworkCore;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;

namespace Orchestrator.Callbacks;

/// <summary>
/// <c>callback</c> in <c>GET /api/requests/{id}</c>: the URL, the state of its latest event and every event with every
/// delivery attempt. In a callback's own body only the URL is set.
/// </summary>
public sealed record CallbackView
{
    public required string Url { get; init; }

    /// <summary>The latest event's state (Pending, Delivered, Failed); null before any event.</summary>
    public string? State { get; init; }

    public IReadOnlyList<CallbackEventView>? Events { get; init; }

    public static CallbackView? Of(InferenceRequestState saga) => saga.CallbackUrl is null ? null : new CallbackView { Url = saga.CallbackUrl };

    /// <summary>The request's callback with its events of this generation (those written since the row was created), oldest first.</summary>
    public static async Task<CallbackView?> LoadAsync(OrchestratorDbContext db, InferenceRequestState saga, CancellationToken cancellationToken)
    {
        if (saga.CallbackUrl is null)
            return null;
        var events = await db.CallbackEvents.AsNoTracking()
            .Where(x => x.CorrelationId == saga.CorrelationId && x.CreatedAt >= saga.CreatedAt)
            .OrderBy(x => x.CreatedAt).ThenBy(x => x.EventId)
            .ToListAsync(cancellationToken);
        var ids = events.Select(e => e.EventId).ToList();
        var deliveries = (await db.CallbackDeliveries.AsNoTracking().Where(x => ids.Contains(x.EventId)).ToListAsync(cancellationToken))
            .ToLookup(d => d.EventId);
        var views = events.Select(e => CallbackEventView.From(e, deliveries[e.EventId])).ToList();
        return new CallbackView { Url = saga.CallbackUrl, State = views.LastOrDefault()?.State, Events = views };
    }
}

/// <summary>One event of a request's callback and its delivery attempts.</summary>
public sealed record CallbackEventView
{
    /// <summary>The <c>webhook-id</c> every attempt carried.</summary>
    public required string EventId { get; init; }
    public required string RequestId { get; init; }
    public required string Type { get; init; }
    public required string Url { get; init; }
    public required string State { get; init; }
    public required int Attempts { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? NextAttemptAt { get; init; }
    public DateTime? DeliveredAt { get; init; }
    public int? LastStatus { get; init; }
    public string? LastError { get; init; }
    public IReadOnlyList<CallbackDeliveryView>? Deliveries { get; init; }

    public static CallbackEventView From(CallbackEvent e, IEnumerable<CallbackDelivery>? deliveries) => new()
    {
        EventId = e.EventId,
        RequestId = e.RequestId,
        Type = e.Type,
        Url = e.Url,
        State = e.State,
        Attempts = e.Attempts,
        CreatedAt = e.CreatedAt,
        NextAttemptAt = e.State == CallbackEvent.Pending ? e.NextAttemptAt : null,
        DeliveredAt = e.DeliveredAt,
        LastStatus = e.LastStatus,
        LastError = e.LastError,
        Deliveries = deliveries?.OrderBy(d => d.Attempt).ThenBy(d => d.Id).Select(CallbackDeliveryView.From).ToList(),
    };
}

/// <summary>One delivery attempt: when, what the receiver answered (or why nothing came), and when the next is due.</summary>
public sealed record CallbackDeliveryView(int Attempt, DateTime AttemptedAt, int? StatusCode, string? Error, long DurationMs, DateTime? NextAttemptAt)
{
    public static CallbackDeliveryView From(CallbackDelivery d) => new(d.Attempt, d.AttemptedAt, d.StatusCode, d.Error, d.DurationMs, d.NextAttemptAt);
}
