using System.Net.Mime;
using System.Text;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Api.Access;
using Orchestrator.Persistence;
using Orchestrator.Telemetry;

namespace Orchestrator.DeadLetters;

/// <summary>
/// <c>/api/dead-letters</c>: list the messages the collectors recorded, show one, requeue it (its body and headers,
/// unchanged, sent back to the queue it failed in) or discard it. Both actions are once-only: a second gets 409.
/// </summary>
public static class DeadLettersEndpoints
{
    const int MaxBodyShown = 64 * 1024;

    public static IEndpointRouteBuilder MapDeadLettersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/dead-letters").WithTags("Dead letters").RequireAuthorization(ApiScopes.Operate);
        group.MapGet("/", List).WithName("ListDeadLetters");
        group.MapGet("/{id:long}", Get).WithName("GetDeadLetter").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id:long}/requeue", Requeue).WithName("RequeueDeadLetter")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:long}/discard", Discard).WithName("DiscardDeadLetter")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    static async Task<IResult> List(OrchestratorDbContext db, string? status, long? after, int? limit, CancellationToken cancellationToken)
    {
        var wanted = status ?? DeadLetter.Pending;
        if (wanted is not (DeadLetter.Pending or DeadLetter.Requeued or DeadLetter.Discarded or "all"))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid status",
                detail: $"status must be {DeadLetter.Pending}, {DeadLetter.Requeued}, {DeadLetter.Discarded} or all (got '{status}')");
        }

        var take = limit ?? 50;
        if (take is < 1 or > 500)
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit", detail: "limit must be between 1 and 500");
        var query = db.DeadLetters.AsNoTracking();
        if (wanted != "all")
            query = query.Where(x => x.Status == wanted);
        if (after is { } cursor)
            query = query.Where(x => x.Id < cursor);
        var rows = await query.OrderByDescending(x => x.Id).Take(take + 1)
            .Select(x => new DeadLetterSummary(x.Id, x.ReceivedAt, x.Queue, x.SourceQueue, x.Kind, x.MessageId, x.MessageType,
                x.RequestId, x.Reason, x.Status, x.ResolvedAt, x.ResolvedBy))
            .ToListAsync(cancellationToken);
        var pending = await db.DeadLetters.CountAsync(x => x.Status == DeadLetter.Pending, cancellationToken);
        return Results.Ok(new DeadLetterPage(rows.Take(take).ToList(), rows.Count > take ? rows[take - 1].Id : null, pending));
    }

    static async Task<IResult> Get(long id, OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        var letter = await db.DeadLetters.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, cancellationToken);
        if (letter is null)
            return NotFound(id);
        var shown = letter.Body.Length > MaxBodyShown ? letter.Body.AsSpan(0, MaxBodyShown) : letter.Body;
        return Results.Ok(new DeadLetterView(
            new DeadLetterSummary(letter.Id, letter.ReceivedAt, letter.Queue, letter.SourceQueue, letter.Kind, letter.MessageId,
                letter.MessageType, letter.RequestId, letter.Reason, letter.Status, letter.ResolvedAt, letter.ResolvedBy),
            letter.ContentType, JsonSerializer.Deserialize<Dictionary<string, string?>>(letter.Headers) ?? [],
            Encoding.UTF8.GetString(shown), letter.Body.Length));
    }

    static async Task<IResult> Requeue(long id, HttpContext http, OrchestratorDbContext db, ISendEndpointProvider send, TimeProvider clock,
        ILogger<DeadLetter> logger, CancellationToken cancellationToken)
    {
        var (letter, refused) = await Claim(id, db, DeadLetter.Requeued, http, clock, cancellationToken);
        if (refused is not null)
            return refused;

        // The row is claimed first (a version-free conditional update), so two operators cannot requeue it twice.
        var headers = JsonSerializer.Deserialize<Dictionary<string, string?>>(letter!.Headers) ?? [];
        var endpoint = await send.GetSendEndpoint(new Uri($"queue:{letter.SourceQueue}"));
        await endpoint.Send(new RequeuedDeadLetter(letter.Id), context =>
        {
            context.Serializer = new CopyBodySerializer(new ContentType(letter.ContentType ?? "application/vnd.masstransit+json"),
                new BytesMessageBody(letter.Body));
            if (Guid.TryParse(letter.MessageId, out var messageId))
                context.MessageId = messageId;
            foreach (var (key, value) in headers)
            {
                if (value is not null && !key.StartsWith("MT-Fault-", StringComparison.Ordinal) && key is not ("MT-Reason" or "MessageId" or "Content-Type"))
                    context.Headers.Set(key, value);
            }
            context.Headers.Set("MT-Requeued-Dead-Letter", letter.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }, cancellationToken);
        logger.DeadLetterResolved(letter.Id, "requeued to " + letter.SourceQueue, letter.ResolvedBy ?? "");
        return Results.Accepted(value: new { letter.Id, Status = DeadLetter.Requeued, letter.SourceQueue });
    }

    static async Task<IResult> Discard(long id, HttpContext http, OrchestratorDbContext db, TimeProvider clock, ILogger<DeadLetter> logger,
        CancellationToken cancellationToken)
    {
        var (letter, refused) = await Claim(id, db, DeadLetter.Discarded, http, clock, cancellationToken);
        if (refused is not null)
            return refused;
        logger.DeadLetterResolved(letter!.Id, "discarded", letter.ResolvedBy ?? "");
        return Results.Ok(new { letter.Id, Status = DeadLetter.Discarded });
    }

    /// <summary>Moves a Pending row to <paramref name="status"/> in one conditional UPDATE; 404 or 409 otherwise.</summary>
    static async Task<(DeadLetter? Letter, IResult? Refused)> Claim(long id, OrchestratorDbContext db, string status, HttpContext http,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var who = http.User.Identity?.Name ?? "anonymous";
        var now = clock.GetUtcNow().UtcDateTime;
        var claimed = await db.DeadLetters.Where(x => x.Id == id && x.Status == DeadLetter.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, status).SetProperty(x => x.ResolvedAt, now).SetProperty(x => x.ResolvedBy, who),
                cancellationToken);
        var letter = await db.DeadLetters.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, cancellationToken);
        if (letter is null)
            return (null, NotFound(id));
        if (claimed == 0)
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Dead letter already resolved",
                detail: $"dead letter {id} was {letter.Status.ToLowerInvariant()} at {letter.ResolvedAt:O} by {letter.ResolvedBy}"));
        }

        return (letter, null);
    }

    static IResult NotFound(long id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Dead letter not found", detail: $"no dead letter with id {id}");
}

/// <summary>The placeholder a requeue sends: its body is replaced by the recorded one (<see cref="CopyBodySerializer"/>).</summary>
public sealed record RequeuedDeadLetter(long DeadLetterId);

public sealed record DeadLetterSummary(long Id, DateTime ReceivedAt, string Queue, string SourceQueue, string Kind, string? MessageId,
    string? MessageType, string? RequestId, string Reason, string Status, DateTime? ResolvedAt, string? ResolvedBy);

public sealed record DeadLetterPage(IReadOnlyList<DeadLetterSummary> Items, long? NextAfter, int Pending);

public sealed record DeadLetterView(DeadLetterSummary Letter, string? ContentType, IReadOnlyDictionary<string, string?> Headers, string Body, int BodyBytes);
