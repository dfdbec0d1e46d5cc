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
        row.HttpStatus = message.HttpStatus;
        row.Reason = message.Reason;
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

    /// <summary>The terminal event of a saga that reached Succeeded or Failed.</summary>
    public static object Outcome(this InferenceRequestState saga)
    {
        var at = new DateTimeOffset(saga.CompletedAt ?? saga.UpdatedAt, TimeSpan.Zero);
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
