using Microsoft.Extensions.Logging;

namespace Orchestrator.Workers.Hosting;

/// <summary>The worker's log lines, with stable event ids (4xxx).</summary>
public static partial class WorkerLog
{
    [LoggerMessage(4001, LogLevel.Debug, "Request {RequestId} attempt {Attempt}: calling {Endpoint}")]
    public static partial void CallingModel(this ILogger logger, string requestId, int attempt, string endpoint);

    [LoggerMessage(4002, LogLevel.Information, "Request {RequestId} attempt {Attempt} failed: {FailureKind} {Reason}")]
    public static partial void AttemptFailed(this ILogger logger, string requestId, int attempt, string failureKind, string reason);

    [LoggerMessage(4003, LogLevel.Information, "Worker {WorkerId} started: models {Models}, concurrency {Concurrency}")]
    public static partial void WorkerStarted(this ILogger logger, string workerId, string models, int concurrency);
}
