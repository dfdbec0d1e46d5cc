using Microsoft.EntityFrameworkCore;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;

namespace Orchestrator.Callbacks;

/// <summary>
/// <c>callback</c> in <c>GET /api/requests/{id}</c> and <c>GET /api/batches/{id}</c>: the URL, the state of its latest
/// event and every event with every delivery attempt. In a callback's own body only the URL is set.
/// </summary>
public sealed record CallbackView
{
    public required string Url { get; init; }

    /// <summary>The latest event's state (Pending, Delivered, Failed); null before any event.</summary>
    public string? State { get; init; }

    public IReadOnlyList<CallbackEventView>? Events { get; init; }

    public static CallbackView? Of(InferenceRequestState saga) => saga.CallbackUrl is null ? null : new CallbackView { Url = saga.CallbackUrl };

    /// <summary>The request's callback with its events of this generation (those written since the row was created), oldest first.</summary>
    public static async Task<CallbackView?> LoadAsync(OrchestratorDbContext db, InferenceRequestState saga, CancellationToken cancellationToken) =>
        saga.CallbackUrl is null ? null
            : (await LoadAsync(db, [new Subject(saga.CorrelationId, saga.CallbackUrl, saga.CreatedAt)], withDeliveries: true, cancellationToken))[saga.CorrelationId];

    /// <summary>
    /// The callbacks of several subjects (requests or batches, by the key their events carry), each with its events
    /// written since <see cref="Subject.Since"/>, oldest first; with every delivery attempt when
    /// <paramref name="withDeliveries"/>. Two queries, whatever the count.
    /// </summary>
    public static async Task<IReadOnlyDictionary<Guid, CallbackView>> LoadAsync(OrchestratorDbContext db, IReadOnlyCollection<Subject> subjects,
        bool withDeliveries, CancellationToken cancellationToken)
    {
        if (subjects.Count == 0)
            return new Dictionary<Guid, CallbackView>();
        var keys = subjects.Select(s => s.Key).ToList();
        var since = subjects.Min(s => s.Since);
        var events = (await db.CallbackEvents.AsNoTracking()
            .Where(x => keys.Contains(x.CorrelationId) && x.CreatedAt >= since)
            .OrderBy(x => x.CreatedAt).ThenBy(x => x.EventId)
            .ToListAsync(cancellationToken)).ToLookup(e => e.CorrelationId);
        ILookup<string, CallbackDelivery>? deliveries = null;
        if (withDeliveries)
        {
            var ids = events.SelectMany(g => g).Select(e => e.EventId).ToList();
            deliveries = (await db.CallbackDeliveries.AsNoTracking().Where(x => ids.Contains(x.EventId)).ToListAsync(cancellationToken))
                .ToLookup(d => d.EventId);
        }
        return subjects.ToDictionary(s => s.Key, s =>
        {
            var views = events[s.Key].Where(e => e.CreatedAt >= s.Since)
                .Select(e => CallbackEventView.From(e, deliveries is null ? null : deliveries[e.EventId])).ToList();
            return new CallbackView { Url = s.Url, State = views.LastOrDefault()?.State, Events = views };
        });
    }

    /// <summary>Whose callback: the key its events carry, its URL, and when its current generation began.</summary>
    public sealed record Subject(Guid Key, string Url, DateTime Since);
}

/// <summary>One event of a request's or a batch's callback and its delivery attempts.</summary>
public sealed record CallbackEventView
{
    /// <summary>The <c>webhook-id</c> every attempt carried.</summary>
    public required string EventId { get; init; }

    /// <summary>The request it announces; null for a batch's event.</summary>
    public string? RequestId { get; init; }

    /// <summary>The batch it announces (<c>batch.completed</c>); null for a request's event.</summary>
    public string? BatchId { get; init; }
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
        RequestId = e.Type == CallbackEventTypes.BatchCompleted ? null : e.RequestId,
        BatchId = e.Type == CallbackEventTypes.BatchCompleted ? e.RequestId : null,
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
