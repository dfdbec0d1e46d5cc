namespace Orchestrator.Telemetry;

/// <summary>Every log line the orchestrator writes, with stable event ids (1xxx saga, 2xxx API, 3xxx hosting).</summary>
public static partial class OrchestratorLog
{
    [LoggerMessage(1001, LogLevel.Information, "Request {RequestId} accepted for model {Model}")]
    public static partial void RequestAccepted(this ILogger logger, string requestId, string model);

    [LoggerMessage(1002, LogLevel.Warning, "Request {RequestId} refused: {Reason}")]
    public static partial void RequestRefused(this ILogger logger, string requestId, string reason);

    [LoggerMessage(1003, LogLevel.Information, "Request {RequestId} succeeded on attempt {Attempt}")]
    public static partial void RequestSucceeded(this ILogger logger, string requestId, int attempt);

    [LoggerMessage(1004, LogLevel.Warning, "Request {RequestId} failed on attempt {Attempt}: {FailureKind} {Reason}")]
    public static partial void RequestFailed(this ILogger logger, string requestId, int attempt, string failureKind, string reason);

    [LoggerMessage(1005, LogLevel.Warning, "Ignored event {Event} for request {RequestId}: not legal in state {State}")]
    public static partial void IllegalEvent(this ILogger logger, string @event, string requestId, string state);

    [LoggerMessage(1006, LogLevel.Information, "Ignored stale {Event} for request {RequestId}: attempt {Attempt}, current attempt {CurrentAttempt}")]
    public static partial void StaleEvent(this ILogger logger, string @event, string requestId, int attempt, int currentAttempt);

    [LoggerMessage(1007, LogLevel.Information, "Request {RequestId} attempt {Attempt} failed ({FailureKind}: {Reason}); retry in {BackoffMs} ms")]
    public static partial void RetryScheduled(this ILogger logger, string requestId, int attempt, long backoffMs, string failureKind, string reason);

    [LoggerMessage(1008, LogLevel.Information, "Request {RequestId} attempt {Attempt} dispatched by the {Source} timer")]
    public static partial void RetryStarted(this ILogger logger, string requestId, int attempt, string source);

    [LoggerMessage(1009, LogLevel.Debug, "Ignored a stale timer for request {RequestId} in state {State}")]
    public static partial void StaleTimer(this ILogger logger, string requestId, string state);

    [LoggerMessage(1010, LogLevel.Information, "Request {RequestId} cancelled: {Reason}")]
    public static partial void RequestCancelled(this ILogger logger, string requestId, string reason);

    [LoggerMessage(1011, LogLevel.Information, "Cancel of request {RequestId} ignored: it is already {State}")]
    public static partial void CancelIgnored(this ILogger logger, string requestId, string state);

    [LoggerMessage(1012, LogLevel.Information, "Request {RequestId}: the result that made it {State} arrived again; its outcome is published again with the same MessageId")]
    public static partial void OutcomeRepublished(this ILogger logger, string requestId, string state);

    [LoggerMessage(1013, LogLevel.Information, "Request {RequestId} attempt {Attempt} held for review: {Decision}")]
    public static partial void HeldForReview(this ILogger logger, string requestId, int attempt, string decision);

    [LoggerMessage(1014, LogLevel.Information, "Request {RequestId} review: {Verdict} by {Reviewer}")]
    public static partial void ReviewDecided(this ILogger logger, string requestId, string verdict, string reviewer);

    [LoggerMessage(1020, LogLevel.Information, "Request {RequestId} paused in state {State} ({Reason})")]
    public static partial void RequestPaused(this ILogger logger, string requestId, string state, string reason);

    [LoggerMessage(1021, LogLevel.Information, "Request {RequestId} resumed ({Reason})")]
    public static partial void RequestResumed(this ILogger logger, string requestId, string reason);

    [LoggerMessage(1022, LogLevel.Information, "Request {RequestId} attempt {Attempt} failed while paused: no retry until it is resumed ({Reason})")]
    public static partial void RetryHeldByPause(this ILogger logger, string requestId, int attempt, string reason);

    [LoggerMessage(1023, LogLevel.Information, "Request {RequestId} reopened by an operator as run {Run} ({Reason})")]
    public static partial void RequestReopened(this ILogger logger, string requestId, int run, string reason);

    [LoggerMessage(1024, LogLevel.Information, "Operator command {Command} for request {RequestId} ignored in state {State}")]
    public static partial void OperatorCommandIgnored(this ILogger logger, string command, string requestId, string state);

    [LoggerMessage(1025, LogLevel.Information, "Request {RequestId} attempt {Attempt} not made: {Reason}; the same attempt goes again at {RetryAt:O}")]
    public static partial void WaitingForBreaker(this ILogger logger, string requestId, int attempt, string reason, DateTime retryAt);

    [LoggerMessage(1026, LogLevel.Information, "Request {RequestId} attempt {Attempt} held until {HeldUntil:O}: {Reason}")]
    public static partial void DispatchHeld(this ILogger logger, string requestId, int attempt, DateTime heldUntil, string reason);

    [LoggerMessage(3013, LogLevel.Warning, "Waiting for the store: {Problem}; next try in {DelaySeconds} s")]
    public static partial void WaitingForStore(this ILogger logger, string problem, double delaySeconds);

    [LoggerMessage(3014, LogLevel.Information, "The store is ready after {Seconds:0.#} s of waiting")]
    public static partial void StoreReady(this ILogger logger, double seconds);

    [LoggerMessage(3001, LogLevel.Information, "Orchestrator starting: store {Store}, transport {Transport}, embedded workers {EmbeddedWorkers}")]
    public static partial void Starting(this ILogger logger, string store, string transport, bool embeddedWorkers);

    [LoggerMessage(3002, LogLevel.Information, "Simulated model listening on {BaseAddress}")]
    public static partial void SimulatedModelListening(this ILogger logger, Uri baseAddress);

    [LoggerMessage(3003, LogLevel.Information, "Schema migration {Migration} applied to {Store}")]
    public static partial void MigrationApplied(this ILogger logger, string migration, string store);

    [LoggerMessage(3004, LogLevel.Information, "Schema of {Store} is up to date ({Count} migrations)")]
    public static partial void SchemaUpToDate(this ILogger logger, string store, int count);

    [LoggerMessage(3005, LogLevel.Information, "Runtime role {Role} granted DML on every table (no schema changes)")]
    public static partial void RuntimeRoleGranted(this ILogger logger, string role);

    [LoggerMessage(3006, LogLevel.Warning, "{Count} attempt(s) were in the in-memory queue when the orchestrator last stopped: they end now as timed out, and their retries follow")]
    public static partial void AttemptsLostWithTheQueue(this ILogger logger, int count);

    [LoggerMessage(3010, LogLevel.Warning, "API keys are OFF: {Why}. Anyone who can reach {Urls} may submit and operate; set Orchestrator:Api:RequireKeys=true and Orchestrator:Api:Keys to require them")]
    public static partial void ApiKeysOff(this ILogger logger, string why, string urls);

    [LoggerMessage(3011, LogLevel.Information, "API keys required: {Count} key(s) configured ({Names})")]
    public static partial void ApiKeysRequired(this ILogger logger, int count, string names);

    [LoggerMessage(3012, LogLevel.Warning, "API call refused with {Status}: {Detail} ({Method} {Path})")]
    public static partial void ApiCallRefused(this ILogger logger, int status, string detail, string method, string path);

    [LoggerMessage(3020, LogLevel.Warning, "Dead letter {Id} recorded from {Queue}: {MessageType}: {Reason}")]
    public static partial void DeadLetterRecorded(this ILogger logger, long id, string queue, string messageType, string reason);

    [LoggerMessage(3021, LogLevel.Information, "Dead letter {Id} {Resolution} by {Who}")]
    public static partial void DeadLetterResolved(this ILogger logger, long id, string resolution, string who);

    [LoggerMessage(2001, LogLevel.Warning,
        "Request {RequestId} is accepted but the broker did not confirm attempt {Attempt}; it counts as made (it may still reach a worker), and the next attempt is dispatched by the retry poller")]
    public static partial void FirstDispatchNotPublished(this ILogger logger, Exception exception, string requestId, int attempt);

    [LoggerMessage(2002, LogLevel.Error, "Request {RequestId} is accepted but neither its first attempt nor its retry was written; its attempt timeout will retry it")]
    public static partial void FirstDispatchNotReopened(this ILogger logger, Exception exception, string requestId);
}
