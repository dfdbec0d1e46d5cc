using MassTransit;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.ModelClient;
using Orchestrator.Workers.Resilience;
using Orchestrator.Workers.Telemetry;

namespace Orchestrator.Workers.Consumers;

/// <summary>
/// Makes one attempt: picks the first endpoint (by priority) that is not cooling down, has room under its limits and
/// whose circuit breaker lets a call through; calls the model, telling the saga it started if the call outlasts
/// <see cref="WorkerOptions.StartedNoticeDelay"/>, and publishes the answer or the classified failure. While every
/// endpoint is only busy (limits) it waits, so the backlog stays in the broker in priority order. When every endpoint
/// is open or cooling down it holds the invoke until one lets a call through (behind the half-open breaker's one
/// probe), within <see cref="WorkerOptions.HoldWhileOpen"/> and the deadline; past them, or with no place left to hold
/// it (<see cref="HeldInvokes"/>), it makes no call and publishes <see cref="FailureKind.CircuitOpen"/> with the time
/// one lets a call through. A breaker this call opened, or a <c>Retry-After</c> the endpoint sent, is published to the fleet as
/// <see cref="EndpointCoolingDown"/>. The endpoint's faults never escape as exceptions: they become
/// <see cref="AttemptFailed"/> with a reason.
/// </summary>
public sealed class InvokeModelConsumer(
    ChatCompletionsClient client,
    EndpointSelector selector,
    EndpointCooldowns cooldowns,
    EndpointLimits limits,
    HeldInvokes held,
    CancelledRequests cancelled,
    IOptions<WorkerOptions> options,
    TimeProvider clock,
    WorkerMetrics metrics,
    TokenUsageLog usage,
    ILogger<InvokeModelConsumer> logger) : IConsumer<InvokeModel>
{
    public async Task Consume(ConsumeContext<InvokeModel> context)
    {
        var invoke = context.Message;
        var worker = options.Value;
        if (cancelled.Contains(invoke.RequestId))
        {
            // The request ended while this attempt waited in the queue: no call, and nothing to report (the saga
            // is Cancelled; a report would only be recorded as late).
            metrics.InvokeDropped(invoke.Model);
            logger.DroppedCancelled(invoke.RequestId, invoke.Attempt);
            return;
        }
        using var span = WorkerTracing.Source.StartActivity("model attempt");
        span?.SetTag("request_id", invoke.RequestId);
        span?.SetTag("attempt", invoke.Attempt);
        span?.SetTag("worker_id", worker.WorkerId);
        var startedAt = clock.GetUtcNow();
        var redelivered = context.ReceiveContext.Redelivered;

        // Failures decided before any endpoint is chosen; else the endpoint, by priority, whose breaker lets us call.
        ModelCallResult? early = null;
        EndpointChoice? choice = null;
        if (redelivered)
        {
            // The broker hands us this invoke again because the worker that had it stopped (perhaps mid-call). The
            // model may already have been called for this attempt: rather than call it twice, report the attempt
            // abandoned, and the orchestrator starts the next one.
            early = ModelCallResult.Failure("(none)", FailureKind.Transient, "abandoned",
                $"attempt {invoke.Attempt} was abandoned: the worker that received it stopped before reporting (redelivered to {worker.WorkerId})");
        }
        else if (invoke.Deadline is { } deadline && deadline <= startedAt)
        {
            early = ModelCallResult.Failure("(none)", FailureKind.DeadlineExceeded, "deadline", $"the request's deadline {deadline:O} passed before the call");
        }
        else if (!worker.Models.TryGetValue(invoke.Model, out var model) || model.Endpoints.Count == 0)
        {
            early = ModelCallResult.Failure("(none)", FailureKind.Permanent, "no-endpoint",
                $"worker {worker.WorkerId} has no endpoint configured for model '{invoke.Model}'");
        }
        else if (TokenEstimate.NeverFits(model.Endpoints, invoke) is { } neverFits)
        {
            logger.NeverFits(invoke.RequestId, invoke.Attempt, neverFits);
            early = ModelCallResult.Failure("(none)", FailureKind.Permanent, "token-quota", neverFits);
        }
        else
        {
            // Only the endpoints whose quota the request fits: the others could never take it.
            var fitting = model.Endpoints.Where(e => TokenEstimate.Fits(e, invoke)).ToList();
            choice = await ChooseAsync(fitting, invoke, context.CancellationToken);
            if (choice.Endpoint is null && choice.Saturated)
            {
                early = ModelCallResult.Failure("(none)", FailureKind.DeadlineExceeded, "deadline",
                    $"the request's deadline {invoke.Deadline:O} passed while every endpoint was busy ({choice.SkippedText})");
                choice = null;
            }
            else if (choice.Endpoint is null)
            {
                // Every endpoint is open or cooling down: fail fast, before AttemptStarted, since no call is made and
                // no attempt is used.
                await CircuitOpen(context, invoke, worker.WorkerId, choice, startedAt, span);
                return;
            }
            else
            {
                // The call starts now, after any wait for capacity.
                startedAt = clock.GetUtcNow();
            }
        }

        using var lease = choice?.Lease;
        using var slot = choice?.Slot;

        ModelCallResult result;
        DateTimeOffset finishedAt;
        if (early is not null)
        {
            // Decided without a call: the failure itself tells the saga when the attempt started.
            result = early;
            finishedAt = clock.GetUtcNow();
        }
        else
        {
            await using var notice = await StartedNotice.BeginAsync(context,
                new AttemptStarted { RequestId = invoke.RequestId, Attempt = invoke.Attempt, WorkerId = worker.WorkerId, StartedAt = startedAt },
                worker.StartedNoticeDelay);
            var endpoint = choice!.Endpoint!;
            if (choice.Skipped.Count > 0)
                logger.FellBack(invoke.RequestId, invoke.Attempt, endpoint.DisplayName, choice.SkippedText);
            logger.CallingModel(invoke.RequestId, invoke.Attempt, endpoint.DisplayName);
            using (metrics.Call(endpoint.DisplayName))
                result = await client.CallAsync(endpoint, invoke, worker.RequestLogprobs, context.CancellationToken);
            // When the answer arrived: before the breaker records it and before any news goes to the fleet.
            finishedAt = clock.GetUtcNow();
            // The breaker first, then the slot: freeing the slot wakes the invokes held for this endpoint, and a probe's
            // outcome must be on the breaker by then.
            var openUntil = lease!.Record(UpstreamFault.Is(result));
            slot?.Settle(result.Usage, result.Succeeded);
            slot?.Dispose();
            await notice.AnsweredAsync();
            await TellTheFleet(context, invoke, endpoint, result, openUntil, worker);
            metrics.Called(endpoint.DisplayName, (finishedAt - startedAt).TotalMilliseconds, result.Succeeded ? "success" : result.Cause ?? "failure");
            metrics.TokensUsed(invoke.Model, endpoint.DisplayName, result.Usage);
            usage.Record(invoke.Model, endpoint.DisplayName, result.Usage);
        }

        span?.SetTag("endpoint", result.Endpoint);
        span?.SetTag("outcome", result.Succeeded ? "Succeeded" : "Failed");
        if (!result.Succeeded)
        {
            span?.SetTag("failure_kind", result.FailureKind?.ToString());
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, result.Reason);
        }
        metrics.Attempt(result.Succeeded ? "Succeeded" : "Failed", result.FailureKind?.ToString());
        if (result.Succeeded)
        {
            await context.Publish(new AttemptSucceeded
            {
                RequestId = invoke.RequestId,
                Attempt = invoke.Attempt,
                WorkerId = worker.WorkerId,
                Endpoint = result.Endpoint,
                Output = result.Output ?? "",
                FinishReason = result.FinishReason,
                Confidence = result.Confidence,
                Usage = result.Usage,
                HttpStatus = result.HttpStatus ?? 200,
                StartedAt = startedAt,
                FinishedAt = finishedAt,
            });
            return;
        }

        logger.AttemptFailed(invoke.RequestId, invoke.Attempt, result.FailureKind!.Value.ToString(), result.Reason ?? "");
        await context.Publish(new AttemptFailed
        {
            RequestId = invoke.RequestId,
            Attempt = invoke.Attempt,
            WorkerId = worker.WorkerId,
            Endpoint = result.Endpoint,
            Kind = result.FailureKind!.Value,
            Cause = result.Cause,
            Reason = result.Reason ?? "unknown failure",
            HttpStatus = result.HttpStatus,
            RetryAfter = result.RetryAfter,
            StartedAt = startedAt,
            FinishedAt = finishedAt,
        });
    }

    /// <summary>
    /// The endpoint that may take the call. While every endpoint is only busy (its in-flight or rate limit), waits for
    /// room, up to the request's deadline, behind any waiting attempt of the same model with a higher priority; a
    /// saturated choice is returned only when the deadline passed. While every endpoint is open or cooling down, holds
    /// the invoke (<see cref="MayHold"/>) until one lets a call through; the choice with no endpoint is returned when it
    /// may not be held, or no longer.
    /// </summary>
    async Task<EndpointChoice> ChooseAsync(IReadOnlyList<EndpointOptions> endpoints, InvokeModel invoke, CancellationToken cancellationToken)
    {
        var logged = false;
        IDisposable? waiting = null;
        IDisposable? place = null;
        var heldSince = DateTimeOffset.MinValue;
        try
        {
            EndpointChoice? last = null;
            while (true)
            {
                // A higher-priority attempt waiting for the same endpoints takes the room first.
                var outranked = waiting is not null && last is { Saturated: true } && limits.Outranked(invoke.Model, invoke.Priority);
                if (!outranked)
                {
                    var choice = selector.Choose(endpoints, invoke);
                    if (choice.Endpoint is not null)
                        return choice;
                    last = choice;
                    if (!choice.Saturated)
                    {
                        // Every endpoint is open or cooling down.
                        var now = clock.GetUtcNow();
                        if (place is null)
                        {
                            if (!MayHold(choice, invoke, now) || held.TryHold() is not { } taken)
                                return choice;
                            place = taken;
                            heldSince = now;
                            metrics.InvokeHeld(invoke.Model);
                            logger.HoldingForEndpoint(invoke.RequestId, invoke.Attempt, choice.SkippedText, now + options.Value.HoldWhileOpen);
                        }
                        if (!await WaitForOpeningAsync(choice, invoke, heldSince, cancellationToken))
                            return choice;
                        continue;
                    }
                }
                waiting ??= limits.Waiting(invoke.Model, invoke.Priority);
                if (await WaitForRoomAsync(last!, invoke, outranked, logged, cancellationToken) is false)
                    return last!;
                logged = true;
            }
        }
        finally
        {
            waiting?.Dispose();
            place?.Dispose();
        }
    }

    /// <summary>
    /// Whether an invoke whose endpoints are all open or cooling down may wait here for one, rather than be refused:
    /// only if one lets a call through within <see cref="WorkerOptions.HoldWhileOpen"/> and before the request's
    /// deadline. A longer wait is the orchestrator's to hold, durably and without a consumer slot.
    /// </summary>
    bool MayHold(EndpointChoice choice, InvokeModel invoke, DateTimeOffset now)
    {
        var hold = options.Value.HoldWhileOpen;
        var retryAt = choice.RetryAt!.Value;
        return hold > TimeSpan.Zero && retryAt - now <= hold && (invoke.Deadline is not { } deadline || retryAt < deadline);
    }

    /// <summary>
    /// Waits while held: until a call ends in this worker (a probe's outcome among them), the time the choice said an
    /// endpoint frees up, at most a second. False once the hold has lasted <see cref="WorkerOptions.HoldWhileOpen"/>,
    /// the deadline passed, or the worker is stopping: then the invoke is refused after all.
    /// </summary>
    async Task<bool> WaitForOpeningAsync(EndpointChoice choice, InvokeModel invoke, DateTimeOffset heldSince, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var until = heldSince + options.Value.HoldWhileOpen;
        if (invoke.Deadline is { } deadline && deadline < until)
            until = deadline;
        if (now >= until || cancellationToken.IsCancellationRequested)
            return false;
        var wake = choice.RetryAt!.Value < until ? choice.RetryAt.Value : until;
        var wait = wake - now + TimeSpan.FromMilliseconds(1);
        try
        {
            await limits.WaitForChangeAsync(wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: no call was made, so refuse it now rather than leave it to be redelivered as abandoned.
            return false;
        }
        return true;
    }

    /// <summary>
    /// Waits for a change that may make room: a call ending or a waiter leaving in this worker, the time the choice
    /// said a limit frees up (unless outranked: then only a change), at most a second. False once the deadline passed.
    /// </summary>
    async Task<bool> WaitForRoomAsync(EndpointChoice choice, InvokeModel invoke, bool outranked, bool logged, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (invoke.Deadline is { } deadline && deadline <= now)
            return false;
        if (!logged)
            logger.WaitingForCapacity(invoke.RequestId, invoke.Attempt, choice.SkippedText);
        var wake = outranked ? now + TimeSpan.FromSeconds(1) : choice.Skipped.Where(s => s.Busy).Select(s => s.RetryAt).DefaultIfEmpty(now + TimeSpan.FromSeconds(1)).Min();
        if (invoke.Deadline is { } d && d < wake)
            wake = d;
        var wait = wake - now + TimeSpan.FromMilliseconds(1);
        await limits.WaitForChangeAsync(wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait, cancellationToken);
        return true;
    }

    /// <summary>
    /// A 429/503 with <c>Retry-After</c>, or rate-limit headers saying the quota is spent until a reset: the endpoint
    /// cools down here at once (for at most <see cref="WorkerOptions.MaxCooldown"/>), and for the rest of the fleet
    /// through <see cref="EndpointCoolingDown"/>; so does a breaker this call opened.
    /// </summary>
    async Task TellTheFleet(ConsumeContext context, InvokeModel invoke, EndpointOptions endpoint, ModelCallResult result, DateTimeOffset? openUntil,
        WorkerOptions worker)
    {
        var now = clock.GetUtcNow();
        var name = endpoint.DisplayName;
        if (result.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero && result.HttpStatus is 429 or 503)
        {
            var wait = retryAfter > worker.MaxCooldown ? worker.MaxCooldown : retryAfter;
            var reason = $"HTTP {result.HttpStatus} with Retry-After {retryAfter.TotalSeconds:0.###} s";
            if (cooldowns.Apply(name, now + wait, reason))
                await PublishCooldown(context, invoke.Model, name, now + wait, EndpointCoolingDown.RetryAfterCause, reason, worker.WorkerId, now);
        }
        // The quota the provider says is spent: nobody calls until it refills. Estimated against this call, a typical one.
        if (result.RateLimit?.Cooldown(TokenEstimate.For(invoke, endpoint).Total) is { } spent)
        {
            var wait = spent.Wait > worker.MaxCooldown ? worker.MaxCooldown : spent.Wait;
            if (cooldowns.Apply(name, now + wait, spent.Reason))
                await PublishCooldown(context, invoke.Model, name, now + wait, EndpointCoolingDown.RateLimitHeadersCause, spent.Reason, worker.WorkerId, now);
        }
        // This worker's own breaker already keeps it away; the rest of the fleet learns of it here.
        if (openUntil is { } until)
        {
            await PublishCooldown(context, invoke.Model, name, until, EndpointCoolingDown.BreakerOpenCause, $"circuit breaker opened after {result.Reason}",
                worker.WorkerId, now);
        }
    }

    async Task PublishCooldown(ConsumeContext context, string model, string endpoint, DateTimeOffset until, string cause, string reason, string workerId,
        DateTimeOffset at)
    {
        logger.CoolingDown(endpoint, until, reason, workerId);
        metrics.CooldownStarted(endpoint, cause);
        try
        {
            await context.Publish(new EndpointCoolingDown
            {
                Endpoint = endpoint,
                Model = model,
                Until = until,
                Cause = cause,
                Reason = reason,
                WorkerId = workerId,
                At = at,
            });
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The attempt's result matters more than the news: this worker honours the cooldown regardless, and the
            // rest of the fleet finds out from its own calls or the next heartbeat.
            logger.HeartbeatFailed($"cooldown of {endpoint} not published: {exception.Message}");
        }
    }

    async Task CircuitOpen(ConsumeContext<InvokeModel> context, InvokeModel invoke, string workerId, EndpointChoice choice, DateTimeOffset startedAt,
        System.Diagnostics.Activity? span)
    {
        var retryAt = choice.RetryAt!.Value;
        var reason = $"every endpoint of model '{invoke.Model}' is open or cooling down ({choice.SkippedText})";
        span?.SetTag("outcome", "CircuitOpen");
        span?.SetTag("failure_kind", nameof(FailureKind.CircuitOpen));
        metrics.Attempt("Failed", nameof(FailureKind.CircuitOpen));
        logger.CircuitOpen(invoke.RequestId, invoke.Attempt, reason, retryAt);
        await context.Publish(new AttemptFailed
        {
            RequestId = invoke.RequestId,
            Attempt = invoke.Attempt,
            WorkerId = workerId,
            Kind = FailureKind.CircuitOpen,
            Cause = "circuit-open",
            Reason = reason,
            RetryAt = retryAt,
            StartedAt = startedAt,
            FinishedAt = clock.GetUtcNow(),
        });
    }
}
