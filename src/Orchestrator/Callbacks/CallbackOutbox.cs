using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using Orchestrator.Api;
using Orchestrator.StateMachines;

namespace Orchestrator.Callbacks;

/// <summary>
/// Writes a <see cref="CallbackEvent"/> in the same SaveChanges, so the same transaction, as every change of a request
/// with a callback into Succeeded, Failed, Cancelled or AwaitingReview. It sits in the save rather than in the state
/// machine because a request changes state along many paths (the saga's messages, the API's admission, the retry
/// poller, the operators' commands): every one ends in a SaveChanges of the tracked row, so none can forget the event,
/// and the event commits or rolls back with the change it announces.
/// </summary>
/// <remarks>
/// The event's id is derived from what makes the change unique (the request's row, its run, its attempt and the new
/// state), so a change saved again after a conflict cannot announce itself twice. The body is fixed now: the request
/// as <c>GET /api/requests/{id}</c> shows it at the change, whatever it does later.
/// </remarks>
/// <para>
/// The deliverer is woken once the events are committed (not when they are saved inside a transaction still open, when
/// it would find nothing and sleep out its poll).
/// </para>
public sealed class CallbackOutbox(IOptions<CallbackOptions> options, TimeProvider clock, CallbackWakeups wakeups, ILogger<CallbackOutbox> logger)
    : SaveChangesInterceptor, IDbTransactionInterceptor
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // The contexts that saved events not yet committed.
    readonly ConditionalWeakTable<DbContext, object> _uncommitted = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Enqueue(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Enqueue(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Wake(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Wake(eventData.Context);
        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } context)
            _uncommitted.Remove(context);
    }

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionRolledBack(transaction, eventData);
        return Task.CompletedTask;
    }

    // A save outside a transaction of the caller's commits at once; inside one, the commit wakes the deliverer.
    void Wake(DbContext? context)
    {
        if (context is not null && context.Database.CurrentTransaction is null)
            Committed(context);
    }

    void Committed(DbContext? context)
    {
        if (context is not null && _uncommitted.Remove(context))
            wakeups.Signal();
    }

    void Enqueue(DbContext? context)
    {
        if (context is null)
            return;
        var changed = context.ChangeTracker.Entries<InferenceRequestState>()
            .Where(e => e.Entity.CallbackUrl is not null && CallbackEventTypes.Of(e.Entity.CurrentState) is not null &&
                        (e.State == EntityState.Added ||
                         (e.State == EntityState.Modified && !Equals(e.Property(x => x.CurrentState).OriginalValue, e.Entity.CurrentState))))
            .Select(e => e.Entity)
            .ToList();
        if (changed.Count == 0)
            return;

        var pending = context.Set<CallbackEvent>().Local;
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var saga in changed)
        {
            // Admission checked the URL; the configuration may have changed since (a host taken off the allowlist).
            if (CallbackGate.Problem(saga.CallbackUrl, options.Value) is { } problem)
            {
                logger.CallbackNotQueued(saga.RequestId, problem);
                continue;
            }
            var id = EventId(saga);
            if (pending.Any(e => e.EventId == id))
                continue;
            var type = CallbackEventTypes.Of(saga.CurrentState)!;
            context.Add(CallbackEvent.Create(id, saga.CorrelationId, saga.RequestId, type, saga.CallbackUrl!, Body(saga, type, now), now, options.Value));
            _uncommitted.AddOrUpdate(context, this);
        }
    }

    /// <summary>The JSON every attempt of the event sends: <c>{"type", "timestamp", "data"}</c>.</summary>
    public static string Body(InferenceRequestState saga, string type, DateTime now) => Body(type, now, RequestView.From(saga, withAttempts: true));

    /// <summary>The JSON of an event: <c>{"type", "timestamp", "data"}</c>, <paramref name="data"/> serialised as the API serialises it.</summary>
    public static string Body<T>(string type, DateTime now, T data) => JsonSerializer.Serialize(new CallbackBody<T>(type, now, data), Json);

    /// <summary><c>evt_</c> and 32 hex digits of a hash over the row, its run, its attempt and the new state.</summary>
    public static string EventId(InferenceRequestState saga)
    {
        var key = $"{saga.CorrelationId:N}|{saga.CreatedAt.Ticks}|{saga.Run}|{saga.Attempt}|{saga.CurrentState}";
        return "evt_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 16));
    }

    sealed record CallbackBody<T>(string Type, DateTime Timestamp, T Data);
}
