using Orchestrator.Contracts;

namespace Orchestrator.StateMachines;

/// <summary>How worker events are written into the saga and its attempt rows.</summary>
public static class InferenceRequestStateExtensions
{
    /// <summary>The row of attempt <paramref name="attempt"/>, created when this is the first news of it.</summary>
    public static AttemptRecord AttemptRow(this InferenceRequestState saga, int attempt)
    {
        var row = saga.Attempts.Find(a => a.Attempt == attempt);
        if (row is null)
        {
            row = new AttemptRecord { CorrelationId = saga.CorrelationId, Attempt = attempt };
            saga.Attempts.Add(row);
        }
        return row;
    }

    public static void RecordSuccess(this InferenceRequestState saga, AttemptSucceeded message)
    {
        var row = saga.AttemptRow(message.Attempt);
        Finish(row, message.WorkerId, message.Endpoint, message.StartedAt, message.FinishedAt, AttemptOutcome.Succeeded);
        row.HttpStatus = message.HttpStatus;
        row.PromptTokens = message.Usage?.PromptTokens;
        row.CompletionTokens = message.Usage?.CompletionTokens;

        saga.Output = message.Output;
        saga.FinishReason = message.FinishReason;
        saga.Confidence = message.Confidence;
        saga.PromptTokens = message.Usage?.PromptTokens;
        saga.CompletionTokens = message.Usage?.CompletionTokens;
        saga.FailureKind = null;
        saga.Reason = null;
    }

    public static void RecordFailure(this InferenceRequestState saga, AttemptFailed message)
    {
        var row = saga.AttemptRow(message.Attempt);
        Finish(row, message.WorkerId, message.Endpoint, message.StartedAt, message.FinishedAt, AttemptOutcome.Failed);
        row.FailureKind = message.Kind.ToString();
        row.Cause = message.Cause;
        row.HttpStatus = message.HttpStatus;
        row.Reason = message.Reason;
    }

    /// <summary>Marks the current attempt timed out; returns the reason.</summary>
    public static string RecordTimeout(this InferenceRequestState saga, int attempt, DateTime nowUtc)
    {
        var row = saga.AttemptRow(attempt);
        var reason = row.StartedAt is { } started
            ? $"attempt {attempt} timed out: no result from worker {row.WorkerId} {(nowUtc - started).TotalSeconds:0.#} s after it started"
            : $"attempt {attempt} timed out: no worker reported it within the schedule-to-close timeout";
        row.Outcome = AttemptOutcome.TimedOut;
        row.FailureKind = nameof(FailureKind.Transient);
        row.Cause = "timeout";
        row.FinishedAt = nowUtc;
        row.Reason = reason;
        if (row.StartedAt is { } s)
            row.LatencyMs = (long)(nowUtc - s).TotalMilliseconds;
        return reason;
    }

    static void Finish(AttemptRecord row, string workerId, string? endpoint, DateTimeOffset startedAt, DateTimeOffset finishedAt, string outcome)
    {
        row.WorkerId ??= workerId;
        row.Endpoint = endpoint;
        row.StartedAt ??= startedAt.UtcDateTime;
        row.FinishedAt = finishedAt.UtcDateTime;
        row.LatencyMs = (long)(finishedAt - startedAt).TotalMilliseconds;
        row.Outcome = outcome;
    }

    /// <summary>The submission again, rebuilt from the row: for a request whose first message was lost.</summary>
    public static InferenceRequested Resubmission(this InferenceRequestState saga)
    {
        var payload = RequestPayload.FromJson(saga.Payload);
        return new InferenceRequested
        {
            RequestId = saga.RequestId,
            Model = saga.Model,
            Messages = payload.Messages,
            Parameters = payload.Parameters,
            Retry = payload.Retry,
            Deadline = saga.Deadline is { } d ? new DateTimeOffset(d, TimeSpan.Zero) : null,
            Metadata = saga.Metadata is null ? null : System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(saga.Metadata),
            SourceService = saga.SourceService,
        };
    }

    /// <summary>The terminal event of a saga that reached Succeeded or Failed.</summary>
    public static object Outcome(this InferenceRequestState saga)
    {
        var at = new DateTimeOffset(saga.CompletedAt ?? saga.UpdatedAt, TimeSpan.Zero);
        if (saga.CurrentState == RequestStates.Cancelled)
        {
            return new InferenceCancelled
            {
                RequestId = saga.RequestId,
                Reason = saga.Reason ?? "cancelled",
                Attempts = saga.Attempts.Count,
                CancelledAt = at,
            };
        }
        if (saga.CurrentState == RequestStates.Succeeded)
        {
            return new InferenceSucceeded
            {
                RequestId = saga.RequestId,
                Output = saga.Output ?? "",
                Confidence = saga.Confidence,
                Usage = saga.PromptTokens is null ? null : new TokenUsage
                {
                    PromptTokens = saga.PromptTokens ?? 0,
                    CompletionTokens = saga.CompletionTokens ?? 0,
                    TotalTokens = (saga.PromptTokens ?? 0) + (saga.CompletionTokens ?? 0),
                },
                Attempts = saga.Attempt,
                CompletedAt = at,
            };
        }
        return new InferenceFailed
        {
            RequestId = saga.RequestId,
            Kind = Enum.TryParse<FailureKind>(saga.FailureKind, out var kind) ? kind : FailureKind.Permanent,
            Reason = saga.Reason ?? "",
            Attempts = saga.Attempts.Count,
            FailedAt = at,
        };
    }
}
