namespace Orchestrator.Callbacks;

/// <summary>The callbacks' log lines, with stable event ids (36xx).</summary>
static partial class CallbackLog
{
    [LoggerMessage(3601, LogLevel.Warning, "Request {RequestId}: no callback queued: {Reason}")]
    public static partial void CallbackNotQueued(this ILogger logger, string requestId, string reason);

    [LoggerMessage(3602, LogLevel.Information, "Callback {EventId} ({Type}) of {RequestId} delivered on attempt {Attempt}: {Status}")]
    public static partial void CallbackDelivered(this ILogger logger, string eventId, string type, string requestId, int attempt, int status);

    [LoggerMessage(3603, LogLevel.Warning, "Callback {EventId} ({Type}) of {RequestId} attempt {Attempt} failed: {Error}; next at {NextAttemptAt:o}")]
    public static partial void CallbackRetrying(this ILogger logger, string eventId, string type, string requestId, int attempt, string error, DateTime nextAttemptAt);

    [LoggerMessage(3604, LogLevel.Error, "Callback {EventId} ({Type}) of {RequestId} given up after attempt {Attempt}: {Error}")]
    public static partial void CallbackGaveUp(this ILogger logger, string eventId, string type, string requestId, int attempt, string error);

    [LoggerMessage(3605, LogLevel.Warning, "Callback deliverer: a pass failed; trying again in 1 s")]
    public static partial void CallbackPassFailed(this ILogger logger, Exception exception);

    [LoggerMessage(3606, LogLevel.Error, "Callback {EventId}: could not record attempt {Attempt}; its lease runs out and it is tried again")]
    public static partial void CallbackNotRecorded(this ILogger logger, Exception exception, string eventId, int attempt);

    [LoggerMessage(3608, LogLevel.Warning, "Batch {BatchId}: no batch.completed callback queued: {Reason}")]
    public static partial void BatchCallbackNotQueued(this ILogger logger, string batchId, string reason);

    [LoggerMessage(3607, LogLevel.Information, "Callback {EventId} queued again by {Operator}")]
    public static partial void CallbackRedelivered(this ILogger logger, string eventId, string @operator);
}
