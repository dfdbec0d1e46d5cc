using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.ModelClient;
using Orchestrator.Workers.Resilience;
using Orchestrator.Workers.Telemetry;

namespace Orchestrator.Workers.Consumers;

/// <summary>
/// Makes one attempt: picks the first endpoint (by priority) whose circuit breaker lets a call through, tells the saga
/// it started, calls the model, and publishes the answer or the classified failure. When every breaker is open it makes
/// no call and publishes <see cref="FailureKind.CircuitOpen"/> with the time one half-opens. The endpoint's faults never
/// escape as exceptions: they become <see cref="AttemptFailed"/> with a reason.
/// </summary>
public sealed class InvokeModelConsumer(
    ChatCompletionsClient client,
    EndpointBreakers breakers,
    IOptions<WorkerOptions> options,
    TimeProvider clock,
    WorkerMetrics metrics,
    ILogger<InvokeModelConsumer> logger) : IConsumer<InvokeModel>
{
    public async Task Consume(ConsumeContext<InvokeModel> context)
    {
        var invoke = context.Message;
        var worker = options.Value;
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
        else
        {
            choice = breakers.Choose(model.Endpoints);
            if (choice.Endpoint is null)
            {
                // Every breaker is open: fail fast, before AttemptStarted, since no call is made and no attempt is used.
                await CircuitOpen(context, invoke, worker.WorkerId, choice, startedAt, span);
                return;
            }
        }

        using var lease = choice?.Lease;
        if (!redelivered)
            await context.Publish(new AttemptStarted { RequestId = invoke.RequestId, Attempt = invoke.Attempt, WorkerId = worker.WorkerId, StartedAt = startedAt });

        ModelCallResult result;
        if (early is not null)
        {
            result = early;
        }
        else
        {
            var endpoint = choice!.Endpoint!;
            if (choice.Skipped.Count > 0)
                logger.FellBack(invoke.RequestId, invoke.Attempt, endpoint.DisplayName, choice.SkippedText);
            logger.CallingModel(invoke.RequestId, invoke.Attempt, endpoint.DisplayName);
            using (metrics.Call(endpoint.DisplayName))
                result = await client.CallAsync(endpoint, invoke, worker.RequestLogprobs, context.CancellationToken);
            lease!.Record(UpstreamFault.Is(result));
            metrics.Called(endpoint.DisplayName, (clock.GetUtcNow() - startedAt).TotalMilliseconds, result.Succeeded ? "success" : result.Cause ?? "failure");
        }

        var finishedAt = clock.GetUtcNow();
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

    async Task CircuitOpen(ConsumeContext<InvokeModel> context, InvokeModel invoke, string workerId, EndpointChoice choice, DateTimeOffset startedAt,
        System.Diagnostics.Activity? span)
    {
        var retryAt = choice.RetryAt!.Value;
        var reason = $"every endpoint of model '{invoke.Model}' is open ({choice.SkippedText})";
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
