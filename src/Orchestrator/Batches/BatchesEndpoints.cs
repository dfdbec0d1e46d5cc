using System.Globalization;
using MassTransit;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Api;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Access;
using Orchestrator.Callbacks;
using Orchestrator.Contracts;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.Batches;

/// <summary>
/// <c>/api/batches</c>: an OpenAI Batch API input file in, one request per line, its results file out. Submitting
/// needs the "submit" scope and counts as one submission against the submit rate limit; reading one batch back (its
/// state, its results) needs "submit" too; the list (every client's batches), cancel and retry need "operate", as
/// the request list and actions do. Errors are RFC 7807 problem details.
/// </summary>
public static class BatchesEndpoints
{
    /// <summary>The content types a batch file may come as: JSON Lines, under either name.</summary>
    public static readonly string[] ContentTypes = ["application/jsonl", "application/x-ndjson"];

    /// <summary>The default largest batch file, in bytes (<c>Orchestrator:Api:MaxBatchBodyBytes</c>).</summary>
    public const long DefaultMaxBatchBodyBytes = 512L * 1024 * 1024;

    public static IEndpointRouteBuilder MapBatchesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/batches").WithTags("Batches");
        group.MapPost("/", Submit).WithName("SubmitBatch").RequireAuthorization(ApiScopes.Submit).RequireRateLimiting(AccessControlExtensions.SubmitRateLimit)
            // No Accepts metadata: routing would turn away another content type before authorization and the
            // handler's own 415, and a submit key would be told it lacks the operate scope.
            .WithDescription("The body is an OpenAI Batch API file, application/jsonl or application/x-ndjson: one request a line.")
            .Produces<BatchAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/", List).WithName("ListBatches").RequireAuthorization(ApiScopes.Operate).Produces<BatchPage>();
        group.MapGet("/{batchId}", Get).WithName("GetBatch").RequireAuthorization(ApiScopes.Submit)
            .Produces<BatchView>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{batchId}/results", Results_).WithName("BatchResults").RequireAuthorization(ApiScopes.Submit)
            .Produces<string>(StatusCodes.Status200OK, "application/jsonl").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{batchId}/cancel", Cancel).WithName("CancelBatch").RequireAuthorization(ApiScopes.Operate)
            .Produces<BulkActionResult>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{batchId}/retry", Retry).WithName("RetryBatch").RequireAuthorization(ApiScopes.Operate)
            .Produces<BulkActionResult>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    static async Task<IResult> Submit(HttpRequest http, string? completionWindow, int? priority, string? callbackUrl, BatchSubmissions submissions,
        IConfiguration configuration, IOptions<CallbackOptions> callbacks, TimeProvider clock, CancellationToken cancellationToken)
    {
        var mediaType = http.ContentType?.Split(';')[0].Trim();
        if (!ContentTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase))
        {
            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"send the batch file as {string.Join(" or ", ContentTypes)}: one JSON object a line");
        }

        var errors = new List<FieldError>();
        var idempotencyKey = http.Headers["Idempotency-Key"].ToString();
        var batchId = string.IsNullOrEmpty(idempotencyKey) ? BatchIdentity.NewBatchId() : idempotencyKey;
        if (BatchIdentity.Problem(batchId) is { } idProblem)
            errors.Add(new("Idempotency-Key", idProblem));
        // An empty callbackUrl= is a URL that is missing, not a callback declined.
        callbackUrl ??= http.Query.ContainsKey("callbackUrl") ? "" : null;
        errors.AddRange(CheckQuery(completionWindow, priority, callbackUrl, callbacks.Value, out var window));
        if (errors.Count > 0)
            return RequestsEndpoints.Invalid(errors);

        // A batch file is larger than any one request: its own limit, read as the body streams.
        if (http.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = configuration.GetValue<long?>("Orchestrator:Api:MaxBatchBodyBytes") ?? DefaultMaxBatchBodyBytes;

        var defaults = new BatchDefaults(window is { } w ? clock.GetUtcNow() + w : null, priority);
        BatchSubmissionOutcome outcome;
        try
        {
            outcome = await submissions.SubmitAsync(http.Body, batchId, defaults, completionWindow, callbackUrl, cancellationToken);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Batch file too large",
                detail: "the file is larger than Orchestrator:Api:MaxBatchBodyBytes allows; split it into several batches");
        }

        return outcome switch
        {
            BatchSubmissionOutcome.Refused refused => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The batch is invalid",
                detail: $"{refused.Invalid} of {refused.Lines} lines are invalid{(refused.Invalid > refused.Errors.Count ? $" (the first {refused.Errors.Count} are listed)" : "")}; nothing was created",
                extensions: new Dictionary<string, object?> { ["errors"] = refused.Errors }),
            BatchSubmissionOutcome.Conflict conflict => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Request id already used",
                detail: conflict.Detail),
            BatchSubmissionOutcome.Accepted { Batch: var batch } => Results.Accepted(Location(batch.Id), new BatchAccepted(batch.Id, batch.Total, Location(batch.Id))),
            BatchSubmissionOutcome.Existing { Batch: var batch } => Results.Accepted(Location(batch.Id), new BatchAccepted(batch.Id, batch.Total, Location(batch.Id))),
            var other => throw new InvalidOperationException($"unknown batch submission outcome {other}"),
        };
    }

    static async Task<IResult> Get(string batchId, OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Batches.AsNoTracking().SingleOrDefaultAsync(x => x.Id == batchId, cancellationToken) is not { } batch)
            return NotFound(batchId);
        var progress = await BatchProgress.ReadAsync(db, [batch.Id], cancellationToken);
        var callbacks = await LoadCallbacksAsync(db, [batch], withDeliveries: true, cancellationToken);
        return Results.Ok(BatchView.From(batch, progress[batch.Id], callbacks.GetValueOrDefault(batch.Id)));
    }

    static async Task<IResult> List(OrchestratorDbContext db, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var cursor = ListCursor.TryDecode(after);
        if (!string.IsNullOrEmpty(after) && cursor is null)
            errors.Add(new("after", "not a cursor this API returned"));
        var take = limit ?? 50;
        if (take is < 1 or > 500)
            errors.Add(new("limit", "limit must be between 1 and 500"));
        if (errors.Count > 0)
            return RequestsEndpoints.Invalid(errors);

        var query = db.Batches.AsNoTracking();
        if (cursor is not null)
            query = query.Where(x => x.CreatedAt < cursor.CreatedAt || (x.CreatedAt == cursor.CreatedAt && string.Compare(x.Id, cursor.RequestId) < 0));
        var page = await query.OrderByDescending(x => x.CreatedAt).ThenByDescending(x => x.Id).Take(take + 1).ToListAsync(cancellationToken);
        var shown = page.Take(take).ToList();
        var progress = await BatchProgress.ReadAsync(db, shown.Select(b => b.Id).ToList(), cancellationToken);
        var next = page.Count > take ? new ListCursor(page[take - 1].CreatedAt, page[take - 1].Id).Encode() : null;
        var callbacks = await LoadCallbacksAsync(db, shown, withDeliveries: false, cancellationToken);
        return Results.Ok(new BatchPage(shown.Select(b => BatchView.From(b, progress[b.Id], callbacks.GetValueOrDefault(b.Id))).ToList(), next));
    }

    /// <summary>The callbacks of those batches that have one, with their events, by batch id.</summary>
    static async Task<Dictionary<string, CallbackView>> LoadCallbacksAsync(OrchestratorDbContext db, IReadOnlyCollection<BatchRecord> batches,
        bool withDeliveries, CancellationToken cancellationToken)
    {
        var subjects = batches.Select(b => (b.Id, Subject: BatchView.CallbackOf(b))).Where(x => x.Subject is not null).ToList();
        var views = await CallbackView.LoadAsync(db, subjects.Select(x => x.Subject!).ToList(), withDeliveries, cancellationToken);
        return subjects.ToDictionary(x => x.Id, x => views[x.Subject!.Key]);
    }

    // Named with a trailing underscore: Results is the ASP.NET Core helper class used throughout this file.
    static async Task<IResult> Results_(string batchId, HttpContext http, OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Batches.AsNoTracking().AnyAsync(x => x.Id == batchId, cancellationToken))
            return NotFound(batchId);
        http.Response.ContentType = "application/jsonl";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{batchId}-results.jsonl\"";
        await BatchResults.WriteAsync(db, batchId, http.Response.Body, cancellationToken);
        return Results.Empty;
    }

    static Task<IResult> Cancel(string batchId, OrchestratorDbContext db, IPublishEndpoint publish, TimeProvider clock, CancellationToken cancellationToken) =>
        Act(batchId, "cancel", db, publish, clock, cancellationToken);

    static Task<IResult> Retry(string batchId, OrchestratorDbContext db, IPublishEndpoint publish, TimeProvider clock, CancellationToken cancellationToken) =>
        Act(batchId, "retry", db, publish, clock, cancellationToken);

    /// <summary>
    /// The bulk action on the batch's requests (<see cref="BulkActionsEndpoints"/>): each gets its single action's
    /// command, and the saga decides on the state it finds. The batch row records it: a cancelled batch reads
    /// Cancelled once finished, and a retried one is watched by the completion sweep until it completes again.
    /// </summary>
    static async Task<IResult> Act(string batchId, string action, OrchestratorDbContext db, IPublishEndpoint publish, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!await db.Batches.AsNoTracking().AnyAsync(x => x.Id == batchId, cancellationToken))
            return NotFound(batchId);
        var now = clock.GetUtcNow().UtcDateTime;
        if (action == "retry")
        {
            // Watched before the commands go, so no completion can slip between them and the watch.
            await db.Batches.Where(x => x.Id == batchId).ExecuteUpdateAsync(s => s.SetProperty(x => x.ReopenedAt, now), cancellationToken);
        }
        else if (action == "cancel" && await db.Requests.AnyAsync(x => x.BatchId == batchId && x.CurrentState != RequestStates.Succeeded && x.CurrentState != RequestStates.Failed
                     && x.CurrentState != RequestStates.Cancelled, cancellationToken))
        {
            // Marked before the commands go, so the completion sweep cannot record (and announce) the batch as Completed
            // between its last cancellation and the mark; a batch already finished is not cancelled.
            await db.Batches.Where(x => x.Id == batchId).ExecuteUpdateAsync(s => s.SetProperty(x => x.CancelledAt, now), cancellationToken);
        }
        var result = await BulkActionsEndpoints.ApplyAsync(action, new RequestFilter { BatchId = batchId },
            $"batch {action} through the API", db, publish, cancellationToken);
        return Results.Accepted(Location(batchId), result);
    }

    /// <summary>
    /// The problems of a submission's query, each naming its parameter, without any I/O: the completion window (parsed
    /// into <paramref name="window"/>), the priority, and the callback URL by the rules of a request's
    /// (<see cref="CallbackGate"/>, no DNS lookup).
    /// </summary>
    public static List<FieldError> CheckQuery(string? completionWindow, int? priority, string? callbackUrl, CallbackOptions callbacks, out TimeSpan? window)
    {
        var errors = new List<FieldError>();
        window = null;
        if (!string.IsNullOrEmpty(completionWindow))
        {
            window = ParseWindow(completionWindow);
            if (window is null)
                errors.Add(new("completionWindow", $"expected a duration such as 24h, 90m, 3600s or 2d (got '{completionWindow}')"));
        }
        if (priority is < RequestPriority.Lowest or > RequestPriority.Highest)
            errors.Add(new("priority", $"must be between {RequestPriority.Lowest} and {RequestPriority.Highest} (got {priority})"));
        if (callbackUrl is not null && CallbackGate.Problem(callbackUrl, callbacks) is { } problem)
            errors.Add(new(CallbackUrlField, problem));
        return errors;
    }

    /// <summary>The query parameter naming a batch's callback URL, as a refusal names it.</summary>
    public const string CallbackUrlField = "callbackUrl";

    /// <summary>A completion window: a whole number and a unit, s, m, h or d (OpenAI's is <c>24h</c>).</summary>
    public static TimeSpan? ParseWindow(string text)
    {
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 365L * 24 * 3600)
            return null;
        TimeSpan? window = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => null,
        };
        return window is { } w && w <= TimeSpan.FromDays(365) ? w : null;
    }

    static IResult NotFound(string batchId) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Batch not found", detail: $"no batch with id '{batchId}'");

    static string Location(string batchId) => $"/api/batches/{Uri.EscapeDataString(batchId)}";
}
