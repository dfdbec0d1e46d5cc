using Orchestrator.Contracts;
using Orchestrator.Submission;

namespace Orchestrator.StateMachines;

/// <summary>The messages a request's row is turned into: its attempt's command, its resubmission, its outcome.</summary>
public static class InferenceRequestMessages
{
    /// <summary>The command for the saga's current attempt, built from the row.</summary>
    public static InvokeModel Invocation(this InferenceRequestState saga)
    {
        var payload = RequestPayload.FromJson(saga.Payload);
        return new InvokeModel
        {
            RequestId = saga.RequestId,
            Attempt = saga.Attempt,
            Model = saga.Model,
            Messages = payload.Messages,
            Parameters = payload.Parameters,
            Priority = saga.Priority,
            Deadline = saga.Deadline is { } d ? new DateTimeOffset(d, TimeSpan.Zero) : null,
        };
    }

    /// <summary>The AMQP message priority of a request priority, clamped to the queue's levels.</summary>
    public static byte BrokerPriority(int priority) => (byte)Math.Clamp(priority, RequestPriority.Lowest, RequestPriority.Highest);

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
        // Whole microseconds, as PostgreSQL keeps them: an outcome published again from the row read back must be the
        // very message published from the row in memory, not one that differs in its seventh decimal.
        var time = saga.CompletedAt ?? saga.UpdatedAt;
        var at = new DateTimeOffset(time.AddTicks(-(time.Ticks % TimeSpan.TicksPerMicrosecond)), TimeSpan.Zero);
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
