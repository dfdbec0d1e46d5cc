using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Api.Access;
using Orchestrator.Contracts;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.Api;

/// <summary>
/// <c>POST /api/requests/bulk/{action}</c>: retry, cancel, pause or resume every request a filter matches, with a
/// dry run that only counts. Each request gets the same command as its single action, so the saga decides on the
/// state it finds when the command arrives; requests the filter matches but whose state does not allow the action
/// are counted as skipped, never touched.
/// </summary>
public static class BulkActionsEndpoints
{
    /// <summary>The most requests one call acts on; the answer says when more matched (run it again).</summary>
    public const int MaxPerCall = 10_000;

    const int Page = 500;

    public static IEndpointRouteBuilder MapBulkActionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/requests/bulk/{action}", Run).WithTags("Requests").WithName("BulkAction").RequireAuthorization(ApiScopes.Operate)
            .Accepts<JsonElement>("application/json")
            .Produces<BulkActionResult>(StatusCodes.Status200OK)
            .Produces<BulkActionResult>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    static async Task<IResult> Run(string action, HttpRequest http, OrchestratorDbContext db, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        if (Actions.FirstOrDefault(a => string.Equals(a.Name, action, StringComparison.OrdinalIgnoreCase)) is not { } chosen)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown bulk action",
                detail: $"'{action}' is not a bulk action; one of {string.Join(", ", Actions.Select(a => a.Name))}");
        }

        if (!http.HasJsonContentType())
        {
            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "send the filter as application/json: {\"filter\": {...}, \"dryRun\": true}");
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Body, cancellationToken: cancellationToken);
            body = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed JSON", detail: exception.Message);
        }
        var errors = new List<FieldError>();
        if (body.ValueKind != JsonValueKind.Object)
            return RequestsEndpoints.Invalid([new FieldError("body", "the body must be a JSON object: {\"filter\": {...}, \"dryRun\": true}")]);
        var filter = body.TryGetProperty("filter", out var f) ? RequestFilter.FromJson(f, errors) : new RequestFilter();
        if (errors.Count == 0 && filter.IsEmpty)
            errors.Add(new("filter", "a bulk action needs at least one filter field (e.g. state, model, idPrefix); it never acts on every request"));
        var dryRun = false;
        if (body.TryGetProperty("dryRun", out var d))
        {
            if (d.ValueKind is JsonValueKind.True or JsonValueKind.False)
                dryRun = d.GetBoolean();
            else
                errors.Add(new("dryRun", "dryRun must be true or false"));
        }
        var reason = body.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        if (errors.Count > 0)
            return RequestsEndpoints.Invalid(errors);

        return await ApplyAsync(chosen, filter, reason ?? $"bulk {chosen.Name} through the API", dryRun, db, publish, cancellationToken) is var result && dryRun
            ? Results.Ok(result)
            : Results.Accepted(value: result);
    }

    /// <summary>
    /// Runs the action <paramref name="name"/> (retry, cancel, pause, resume) on every request the filter matches,
    /// as the bulk call does: for a batch's cancel and retry (<see cref="Batches.BatchesEndpoints"/>).
    /// </summary>
    internal static Task<BulkActionResult> ApplyAsync(string name, RequestFilter filter, string reason, OrchestratorDbContext db,
        IPublishEndpoint publish, CancellationToken cancellationToken) =>
        ApplyAsync(Actions.Single(a => a.Name == name), filter, reason, dryRun: false, db, publish, cancellationToken);

    static async Task<BulkActionResult> ApplyAsync(BulkAction chosen, RequestFilter filter, string because, bool dryRun,
        OrchestratorDbContext db, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var matching = filter.Apply(db.Requests.AsNoTracking());
        var matched = await matching.CountAsync(cancellationToken);
        var eligible = chosen.Eligible(matching);
        var eligibleCount = await eligible.CountAsync(cancellationToken);
        if (dryRun)
            return new BulkActionResult(chosen.Name, true, matched, Math.Min(eligibleCount, MaxPerCall), matched - eligibleCount, eligibleCount > MaxPerCall);

        var accepted = 0;
        (DateTime CreatedAt, string RequestId)? after = null;
        while (accepted < MaxPerCall)
        {
            var page = eligible;
            if (after is { } cursor)
            {
                page = page.Where(x => x.CreatedAt > cursor.CreatedAt ||
                                       (x.CreatedAt == cursor.CreatedAt && string.Compare(x.RequestId, cursor.RequestId) > 0));
            }

            var rows = await page.OrderBy(x => x.CreatedAt).ThenBy(x => x.RequestId)
                .Take(Math.Min(Page, MaxPerCall - accepted))
                .Select(x => new { x.CreatedAt, x.RequestId }).ToListAsync(cancellationToken);
            if (rows.Count == 0)
                break;
            await Task.WhenAll(rows.Select(row => chosen.Send(publish, row.RequestId, because, cancellationToken)));
            accepted += rows.Count;
            after = (rows[^1].CreatedAt, rows[^1].RequestId);
        }
        return new BulkActionResult(chosen.Name, false, matched, accepted, matched - accepted, eligibleCount > accepted);
    }

    sealed record BulkAction(
        string Name,
        Func<IQueryable<InferenceRequestState>, IQueryable<InferenceRequestState>> Eligible,
        Func<IPublishEndpoint, string, string, CancellationToken, Task> Send);

    // Eligibility mirrors the single actions' checks (RequestsEndpoints), written as queries.
    static readonly BulkAction[] Actions =
    [
        new("retry",
            q => q.Where(x => x.CurrentState == RequestStates.RetryScheduled ||
                              (x.CurrentState == RequestStates.Failed && x.FailureKind != nameof(FailureKind.InvalidInput))),
            (p, id, why, ct) => p.Publish(new RetryInference { RequestId = id, Reason = why }, ct)),
        new("cancel",
            q => q.Where(x => x.CurrentState == RequestStates.Pending || x.CurrentState == RequestStates.Processing ||
                              x.CurrentState == RequestStates.RetryScheduled || x.CurrentState == RequestStates.AwaitingReview ||
                              x.CurrentState == RequestStates.Paused),
            (p, id, why, ct) => p.Publish(new CancelInference { RequestId = id, Reason = why }, ct)),
        new("pause",
            q => q.Where(x => x.CurrentState == RequestStates.Pending || x.CurrentState == RequestStates.Processing ||
                              x.CurrentState == RequestStates.RetryScheduled),
            (p, id, why, ct) => p.Publish(new PauseInference { RequestId = id, Reason = why }, ct)),
        new("resume",
            q => q.Where(x => x.CurrentState == RequestStates.Paused),
            (p, id, why, ct) => p.Publish(new ResumeInference { RequestId = id, Reason = why }, ct)),
    ];
}
