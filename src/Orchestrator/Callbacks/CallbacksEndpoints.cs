using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Access;
using Orchestrator.Persistence;

namespace Orchestrator.Callbacks;

/// <summary>
/// <c>/api/callbacks</c>, for operators: list callback events (of requests and of batches) by state (the failed ones above all), show one with its
/// attempts, and redeliver one (a fresh attempt budget and age, the same <c>webhook-id</c> and body).
/// </summary>
public static class CallbacksEndpoints
{
    public static IEndpointRouteBuilder MapCallbacksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/callbacks").WithTags("Callbacks").RequireAuthorization(ApiScopes.Operate);
        group.MapGet("/", List).WithName("ListCallbacks");
        group.MapGet("/{eventId}", Get).WithName("GetCallback").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{eventId}/redeliver", Redeliver).WithName("RedeliverCallback")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    static async Task<IResult> List(OrchestratorDbContext db, string? state, string? requestId, string? batchId, int? limit, CancellationToken cancellationToken)
    {
        var wanted = state ?? CallbackEvent.Failed;
        var known = new[] { CallbackEvent.Pending, CallbackEvent.Delivered, CallbackEvent.Failed, "all" };
        var match = known.FirstOrDefault(k => string.Equals(k, wanted, StringComparison.OrdinalIgnoreCase));
        if (match is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid state",
                detail: $"state must be {CallbackEvent.Pending}, {CallbackEvent.Delivered}, {CallbackEvent.Failed} or all (got '{state}')");
        }
        var take = limit ?? 50;
        if (take is < 1 or > 500)
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit", detail: "limit must be between 1 and 500");

        var query = db.CallbackEvents.AsNoTracking();
        if (match != "all")
            query = query.Where(x => x.State == match);
        // A batch's events hold its id where a request's hold theirs: the type tells them apart.
        if (!string.IsNullOrEmpty(requestId))
            query = query.Where(x => x.RequestId == requestId && x.Type != CallbackEventTypes.BatchCompleted);
        if (!string.IsNullOrEmpty(batchId))
            query = query.Where(x => x.RequestId == batchId && x.Type == CallbackEventTypes.BatchCompleted);
        var rows = await query.OrderByDescending(x => x.CreatedAt).ThenByDescending(x => x.EventId).Take(take).ToListAsync(cancellationToken);
        var failed = await db.CallbackEvents.CountAsync(x => x.State == CallbackEvent.Failed, cancellationToken);
        return Results.Ok(new CallbackPage(rows.Select(e => CallbackEventView.From(e, null)).ToList(), failed));
    }

    static async Task<IResult> Get(string eventId, OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        var row = await db.CallbackEvents.AsNoTracking().SingleOrDefaultAsync(x => x.EventId == eventId, cancellationToken);
        if (row is null)
            return NotFound(eventId);
        var deliveries = await db.CallbackDeliveries.AsNoTracking().Where(x => x.EventId == eventId).ToListAsync(cancellationToken);
        return Results.Ok(CallbackEventView.From(row, deliveries));
    }

    static async Task<IResult> Redeliver(string eventId, HttpContext http, OrchestratorDbContext db, IOptions<CallbackOptions> options,
        TimeProvider clock, CallbackWakeups wakeups, ILogger<CallbackEvent> logger, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var expires = now + options.Value.MaximumAge;
        // One conditional update: of two operators, one queues it; a Pending event is already on its way. The answer
        // is read in the update's transaction, so it shows the event as queued, not as a deliverer has taken it since.
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var queued = await db.CallbackEvents.Where(x => x.EventId == eventId && x.State != CallbackEvent.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.State, CallbackEvent.Pending)
                .SetProperty(x => x.NextAttemptAt, now)
                .SetProperty(x => x.ExpiresAt, expires)
                .SetProperty(x => x.AttemptBase, x => x.Attempts), cancellationToken);
        var row = await db.CallbackEvents.AsNoTracking().SingleOrDefaultAsync(x => x.EventId == eventId, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        if (row is null)
            return NotFound(eventId);
        if (queued == 0)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Callback already pending",
                detail: $"callback {eventId} is Pending: its next attempt is due at {row.NextAttemptAt:O}");
        }
        logger.CallbackRedelivered(eventId, http.User.Identity?.Name ?? "anonymous");
        wakeups.Signal();
        return Results.Accepted(value: CallbackEventView.From(row, null));
    }

    static IResult NotFound(string eventId) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Callback not found", detail: $"no callback event with id '{eventId}'");
}

/// <summary>A page of callback events, newest first, and how many have failed in all.</summary>
public sealed record CallbackPage(IReadOnlyList<CallbackEventView> Items, int Failed);
