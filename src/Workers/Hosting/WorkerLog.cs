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

    [LoggerMessage(4004, LogLevel.Warning, "Circuit breaker of {Endpoint} opened until {OpenUntil:O}: {Reason}")]
    public static partial void BreakerOpened(this ILogger logger, string endpoint, DateTimeOffset openUntil, string reason);

    [LoggerMessage(4005, LogLevel.Information, "Circuit breaker of {Endpoint} half-open: {Reason}; one probe call may go through")]
    public static partial void BreakerHalfOpened(this ILogger logger, string endpoint, string reason);

    [LoggerMessage(4006, LogLevel.Information, "Circuit breaker of {Endpoint} closed: {Reason}")]
    public static partial void BreakerClosed(this ILogger logger, string endpoint, string reason);

    [LoggerMessage(4007, LogLevel.Information, "Request {RequestId} attempt {Attempt}: no call made, {Reason}; retry at {RetryAt:O}")]
    public static partial void CircuitOpen(this ILogger logger, string requestId, int attempt, string reason, DateTimeOffset retryAt);

    [LoggerMessage(4008, LogLevel.Information, "Request {RequestId} attempt {Attempt}: falling back to {Endpoint} ({Skipped})")]
    public static partial void FellBack(this ILogger logger, string requestId, int attempt, string endpoint, string skipped);

    [LoggerMessage(4009, LogLevel.Warning, "Endpoint {Endpoint} cooling down for the fleet until {Until:O}: {Reason} (seen by {WorkerId})")]
    public static partial void CoolingDown(this ILogger logger, string endpoint, DateTimeOffset until, string reason, string workerId);

    [LoggerMessage(4010, LogLevel.Debug, "Request {RequestId} attempt {Attempt}: every endpoint is busy ({Skipped}); waiting")]
    public static partial void WaitingForCapacity(this ILogger logger, string requestId, int attempt, string skipped);

    [LoggerMessage(4013, LogLevel.Information, "Request {RequestId} attempt {Attempt}: every endpoint is open or cooling down ({Skipped}); holding it up to {Until:O}")]
    public static partial void HoldingForEndpoint(this ILogger logger, string requestId, int attempt, string skipped, DateTimeOffset until);

    [LoggerMessage(4014, LogLevel.Debug, "Request {RequestId} attempt {Attempt}: the request was cancelled; dropped without a call")]
    public static partial void DroppedCancelled(this ILogger logger, string requestId, int attempt);

    [LoggerMessage(4015, LogLevel.Debug, "Endpoint {Endpoint} sent a rate-limit header that does not parse, ignored (said once per header): {Header}")]
    public static partial void UnparsableRateLimitHeader(this ILogger logger, string endpoint, string header);

    [LoggerMessage(4016, LogLevel.Information, "Request {RequestId} attempt {Attempt} can never be sent: {Reason}")]
    public static partial void NeverFits(this ILogger logger, string requestId, int attempt, string reason);

    [LoggerMessage(4011, LogLevel.Warning, "Heartbeat not published: {Reason}")]
    public static partial void HeartbeatFailed(this ILogger logger, string reason);

    [LoggerMessage(4012, LogLevel.Information, "Worker {Peer} {Change} the fleet: {Count} live workers")]
    public static partial void FleetChanged(this ILogger logger, string peer, string change, int count);
}
