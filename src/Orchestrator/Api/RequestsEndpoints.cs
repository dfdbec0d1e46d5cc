using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Access;
using Orchestrator.Contracts;
using Orchestrator.Persistence;
using Orchestrator.Scheduling;
using Orchestrator.StateMachines;
using Orchestrator.Submission;
using Orchestrator.Telemetry;

namespace Orchestrator.Api;

/// <summary><c>/api/requests</c>: submit, read one, list, and the operator's actions. Errors are RFC 7807 problem details.</summary>
public static class RequestsEndpoints
{
    public static IEndpointRouteBuilder MapRequestsApi(this IEndpointRouteBuilder app)
    {
        // Scopes: submitting and reading one request back need "submit" (or "operate"), everything else "operate".
        var group = app.MapGroup("/api/requests").WithTags("Requests");
        group.MapPost("/", Submit).WithName("SubmitRequest").RequireAuthorization(ApiScopes.Submit).RequireRateLimiting(AccessControlExtensions.SubmitRateLimit)
            .Accepts<JsonElement>("application/json")
            .Produces<RequestView>(StatusCodes.Status200OK)
            .Produces<SubmitAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/{requestId}", Get).WithName("GetRequest").RequireAuthorization(ApiScopes.Submit);
        group.MapGet("/", List).WithName("ListRequests").RequireAuthorization(ApiScopes.Operate);
        app.MapGet("/api/counts", Counts).WithTags("Requests").WithName("CountsByState").RequireAuthorization(ApiScopes.Operate);
        group.MapPost("/{requestId}/cancel", Cancel).WithName("CancelRequest").RequireAuthorization(ApiScopes.Operate)
            .Produces<RequestView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{requestId}/retry", Retry).WithName("RetryRequest").RequireAuthorization(ApiScopes.Operate)
            .Produces<RequestView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{requestId}/pause", Pause).WithName("PauseRequest").RequireAuthorization(ApiScopes.Operate)
            .Produces<RequestView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{requestId}/resume", Resume).WithName("ResumeRequest").RequireAuthorization(ApiScopes.Operate)
            .Produces<RequestView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{requestId}/approve", Approve).WithName("ApproveReview").RequireAuthorization(ApiScopes.Operate)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{requestId}/reject", Reject).WithName("RejectReview").RequireAuthorization(ApiScopes.Operate)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        app.MapGet("/api/diagnostics/stuck", Stuck).WithTags("Diagnostics").WithName("StuckRequests").RequireAuthorization(ApiScopes.Operate);
        return app;
    }

    static async Task<IResult> Stuck(OrchestratorDbContext db, IOptions<TimerOptions> timers, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = await StuckRequests.Query(db, timers.Value, now).OrderBy(x => x.UpdatedAt).Take(500).ToListAsync(cancellationToken);
        return Results.Ok(new
        {
            count = rows.Count,
            items = rows.Select(r => new { r.RequestId, State = r.CurrentState, r.Attempt, r.UpdatedAt, Why = StuckRequests.Why(r, now) }),
        });
    }

    static async Task<IResult> Submit(HttpRequest http, Submissions submissions, CancellationToken cancellationToken)
    {
        if (!http.HasJsonContentType())
        {
            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "send the request as application/json");
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException exception)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed JSON", detail: exception.Message);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
                detail: $"the body is larger than the {http.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes allowed");
        }

        using (document)
        {
            var (request, parseErrors) = RequestReader.ReadSubmission(document.RootElement, http.Headers["Idempotency-Key"].ToString());
            if (request is null)
                return Invalid(parseErrors);

            return await submissions.SubmitAsync(request, cancellationToken) switch
            {
                SubmissionOutcome.Refused refused => Invalid(refused.Errors),
                SubmissionOutcome.Conflict => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Request id already used",
                    detail: $"request '{request.RequestId}' exists with a different payload; use a new request id"),
                SubmissionOutcome.Existing { Request: var existing } => RequestStates.IsTerminal(existing.CurrentState)
                    ? Results.Ok(RequestView.From(existing, withAttempts: false))
                    : Results.Accepted(Location(request.RequestId), RequestView.From(existing, withAttempts: false)),
                SubmissionOutcome.Accepted { Request: var saga } => Results.Accepted(Location(request.RequestId),
                    new SubmitAccepted(request.RequestId, saga.CurrentState ?? RequestStates.Pending, Location(request.RequestId))),
                var other => throw new InvalidOperationException($"unknown submission outcome {other}"),
            };
        }
    }

    static async Task<IResult> Get(string requestId, OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        if (RequestIdentity.Problem(requestId) is { } problem)
            return Invalid([new FieldError("requestId", problem)]);
        var correlationId = RequestIdentity.ToCorrelationId(requestId);
        var saga = await db.Requests.AsNoTracking().Include(x => x.Attempts)
            .SingleOrDefaultAsync(x => x.CorrelationId == correlationId, cancellationToken);
        if (saga is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Request not found", detail: $"no request with id '{requestId}'");
        var view = RequestView.From(saga, withAttempts: true);
        return Results.Ok(saga.CallbackUrl is null ? view : view with { Callback = await Callbacks.CallbackView.LoadAsync(db, saga, cancellationToken) });
    }

    static async Task<IResult> List(OrchestratorDbContext db, string? state, string? model, string? failureKind, int? minAttempts,
        DateTime? createdFrom, DateTime? createdTo, DateTime? updatedFrom, DateTime? updatedTo, string? idPrefix,
        string? after, int? limit, int? priority, string? batchId, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var filter = RequestFilter.Parse(state, model, failureKind, minAttempts, createdFrom, createdTo, updatedFrom, updatedTo, idPrefix, errors, priority, batchId);
        var cursor = ListCursor.TryDecode(after);
        if (!string.IsNullOrEmpty(after) && cursor is null)
            errors.Add(new("after", "not a cursor this API returned"));
        var take = limit ?? 50;
        if (take is < 1 or > 500)
            errors.Add(new("limit", "limit must be between 1 and 500"));
        if (errors.Count > 0)
            return Invalid(errors);

        var query = filter.Apply(db.Requests.AsNoTracking());
        if (cursor is not null)
        {
            query = query.Where(x => x.CreatedAt < cursor.CreatedAt ||
                                     (x.CreatedAt == cursor.CreatedAt && string.Compare(x.RequestId, cursor.RequestId) < 0));
        }

        var page = await query.OrderByDescending(x => x.CreatedAt).ThenByDescending(x => x.RequestId)
            .Take(take + 1).ToListAsync(cancellationToken);

        var items = page.Take(take).Select(s => RequestView.From(s, withAttempts: false)).ToList();
        var next = page.Count > take ? new ListCursor(page[take - 1].CreatedAt, page[take - 1].RequestId).Encode() : null;
        return Results.Ok(new RequestPage(items, next));
    }

    static async Task<IResult> Counts(OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        var counts = await RequestCounts.ByStateAsync(db, cancellationToken);
        return Results.Ok(RequestStates.All.ToDictionary(s => s, s => counts.GetValueOrDefault(s)));
    }

    static Task<IResult> Cancel(string requestId, HttpRequest http, OrchestratorDbContext db, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        OperatorAction(requestId, http, db, "cancelled",
            saga => RequestStates.IsTerminal(saga.CurrentState) ? "only a request that has not finished can be cancelled" : null,
            body => publish.Publish(new CancelInference { RequestId = requestId, Reason = Text(body, "reason") ?? "cancelled through the API" }, cancellationToken),
            cancellationToken);

    static Task<IResult> Retry(string requestId, HttpRequest http, OrchestratorDbContext db, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        OperatorAction(requestId, http, db, "retried", RetryRefusal,
            body => publish.Publish(new RetryInference { RequestId = requestId, Reason = Text(body, "reason") ?? "retried through the API" }, cancellationToken),
            cancellationToken);

    static Task<IResult> Pause(string requestId, HttpRequest http, OrchestratorDbContext db, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        OperatorAction(requestId, http, db, "paused", PauseRefusal,
            body => publish.Publish(new PauseInference { RequestId = requestId, Reason = Text(body, "reason") ?? "paused through the API" }, cancellationToken),
            cancellationToken);

    static Task<IResult> Resume(string requestId, HttpRequest http, OrchestratorDbContext db, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        OperatorAction(requestId, http, db, "resumed",
            saga => saga.CurrentState == RequestStates.Paused ? null : "only a Paused request can be resumed",
            body => publish.Publish(new ResumeInference { RequestId = requestId, Reason = Text(body, "reason") ?? "resumed through the API" }, cancellationToken),
            cancellationToken);

    static Task<IResult> Approve(string requestId, HttpRequest http, OrchestratorDbContext db, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        OperatorAction(requestId, http, db, "approved", ReviewRefusal,
            body => publish.Publish(new ApproveInference { RequestId = requestId, Reviewer = Text(body, "reviewer"), Note = Text(body, "note") }, cancellationToken),
            cancellationToken);

    static Task<IResult> Reject(string requestId, HttpRequest http, OrchestratorDbContext db, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        OperatorAction(requestId, http, db, "rejected", ReviewRefusal, body => publish.Publish(new RejectInference
        {
            RequestId = requestId,
            Reviewer = Text(body, "reviewer"),
            Reason = Text(body, "reason"),
            Retry = body is { } b && b.TryGetProperty("retry", out var retry) && retry.ValueKind == JsonValueKind.True,
        }, cancellationToken), cancellationToken);

    /// <summary>Why a request cannot be retried now, or null when it can.</summary>
    internal static string? RetryRefusal(InferenceRequestState saga) => saga.CurrentState switch
    {
        RequestStates.Failed when saga.FailureKind == nameof(FailureKind.InvalidInput) =>
            "it failed on invalid input, which would fail again; submit a corrected request under a new id",
        RequestStates.Failed or RequestStates.RetryScheduled => null,
        _ => "only a Failed or RetryScheduled request can be retried",
    };

    internal static string? PauseRefusal(InferenceRequestState saga) =>
        saga.CurrentState is RequestStates.Pending or RequestStates.Processing or RequestStates.RetryScheduled
            ? null
            : "only a Pending, Processing or RetryScheduled request can be paused";

    static string? ReviewRefusal(InferenceRequestState saga) =>
        saga.CurrentState == RequestStates.AwaitingReview ? null : "only a request in AwaitingReview can be approved or rejected";

    /// <summary>
    /// An operator's action on one request: 404 when there is none, 409 when its state does not allow the action
    /// (the saga checks again when the command arrives, since the state may change meanwhile), else the command
    /// travels to the saga and the answer is 202 with the request as it was.
    /// </summary>
    static async Task<IResult> OperatorAction(string requestId, HttpRequest http, OrchestratorDbContext db, string done,
        Func<InferenceRequestState, string?> refusal, Func<JsonElement?, Task> send, CancellationToken cancellationToken)
    {
        if (RequestIdentity.Problem(requestId) is { } problem)
            return Invalid([new FieldError("requestId", problem)]);
        var (body, malformed) = await OptionalBodyAsync(http, cancellationToken);
        if (malformed is not null)
            return malformed;
        var correlationId = RequestIdentity.ToCorrelationId(requestId);
        var saga = await db.Requests.AsNoTracking().SingleOrDefaultAsync(x => x.CorrelationId == correlationId, cancellationToken);
        if (saga is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Request not found", detail: $"no request with id '{requestId}'");
        if (refusal(saga) is { } why)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Request cannot be {done}",
                detail: $"request '{requestId}' is {saga.CurrentState ?? "not started yet"}: {why}");
        }

        await send(body);
        return Results.Accepted(Location(requestId), RequestView.From(saga, withAttempts: false));
    }

    /// <summary>An action's optional JSON object body (absent or empty is fine; malformed is a 400).</summary>
    static async Task<(JsonElement? Body, IResult? Malformed)> OptionalBodyAsync(HttpRequest http, CancellationToken cancellationToken)
    {
        if (!http.HasJsonContentType() || http.ContentLength == 0)
            return (null, null);
        using var buffer = new MemoryStream();
        await http.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0)
            return (null, null);
        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            return (document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null, null);
        }
        catch (JsonException exception)
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed JSON", detail: exception.Message));
        }
    }

    static string? Text(JsonElement? body, string name) =>
        body is { } b && b.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    static string Location(string requestId) => $"/api/requests/{Uri.EscapeDataString(requestId)}";

    internal static ProblemHttpResult Invalid(IReadOnlyList<FieldError> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(
            errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()))
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid",
            Detail = string.Join("; ", errors),
        });
}
