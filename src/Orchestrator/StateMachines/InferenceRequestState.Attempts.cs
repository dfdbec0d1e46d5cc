using Orchestrator.Contracts;

namespace Orchestrator.StateMachines;

/// <summary>What a request's attempts record: one row each in <c>inference_attempts</c>, the decision path operators read.</summary>
public partial class InferenceRequestState
{
    /// <summary>A worker reported the start of the current attempt.</summary>
    public bool CurrentAttemptStarted => Attempts.Find(a => a.Attempt == Attempt)?.StartedAt is not null;

    /// <summary>
    /// A worker event of the attempt the saga waits for. A paused request waits for one only while its attempt is in
    /// flight; after that, a redelivered result of the same number is late.
    /// </summary>
    public bool IsCurrentAttempt(int attempt) =>
        attempt == Attempt && (CurrentState != RequestStates.Paused || AttemptInFlight);

    /// <summary>The row of attempt <paramref name="attempt"/>, created when this is the first news of it.</summary>
    public AttemptRecord AttemptRow(int attempt)
    {
        var row = Attempts.Find(a => a.Attempt == attempt);
        if (row is null)
        {
            row = new AttemptRecord { CorrelationId = CorrelationId, Attempt = attempt };
            Attempts.Add(row);
        }
        return row;
    }

    /// <summary>
    /// A worker started the current attempt: from now its start-to-close timeout bounds it. The schedule-to-close
    /// clock bounded the wait for a worker; an attempt that waited behind a backlog (its clock restarted) would
    /// otherwise start with less time than one call needs, and be timed out mid-call.
    /// </summary>
    public void RecordStart(AttemptStarted message, DateTime now, TimeSpan startToClose)
    {
        var row = AttemptRow(message.Attempt);
        row.WorkerId ??= message.WorkerId;
        row.StartedAt ??= message.StartedAt.UtcDateTime;
        UpdatedAt = now;
        AttemptTimeoutAt = now + startToClose;
    }

    public void RecordSuccess(AttemptSucceeded message)
    {
        var row = AttemptRow(message.Attempt);
        row.Finish(message.WorkerId, message.Endpoint, message.StartedAt, message.FinishedAt, AttemptOutcome.Succeeded);
        row.HttpStatus = message.HttpStatus;
        row.PromptTokens = message.Usage?.PromptTokens;
        row.CompletionTokens = message.Usage?.CompletionTokens;

        Output = message.Output;
        FinishReason = message.FinishReason;
        Confidence = message.Confidence;
        PromptTokens = message.Usage?.PromptTokens;
        CompletionTokens = message.Usage?.CompletionTokens;
        FailureKind = null;
        Reason = null;
    }

    public void RecordFailure(AttemptFailed message)
    {
        var row = AttemptRow(message.Attempt);
        row.Finish(message.WorkerId, message.Endpoint, message.StartedAt, message.FinishedAt, AttemptOutcome.Failed);
        row.FailureKind = message.Kind.ToString();
        row.Cause = message.Cause;
        row.HttpStatus = message.HttpStatus;
        row.Reason = message.Reason;
        row.RetryAfterMs = message.RetryAfter is { } retryAfter ? (long)retryAfter.TotalMilliseconds : null;
    }

    /// <summary>The attempt's timeout passed without a result: a transient failure (cause <c>timeout</c>).</summary>
    public void RecordTimeout(int attempt, DateTime now)
    {
        var row = AttemptRow(attempt);
        row.Outcome = AttemptOutcome.TimedOut;
        row.FailureKind = nameof(Contracts.FailureKind.Transient);
        row.Cause = "timeout";
        row.FinishedAt = now;
        row.Reason = row.StartedAt is { } started
            ? $"attempt {attempt} timed out: no result from worker {row.WorkerId} {(now - started).TotalSeconds:0.#} s after it started"
            : $"attempt {attempt} timed out: no worker reported it within the schedule-to-close timeout";
        if (row.StartedAt is { } s)
            row.LatencyMs = (long)(now - s).TotalMilliseconds;
    }

    /// <summary>A result that arrived after its attempt was decided: kept on its row (the first one only), not applied.</summary>
    public void RecordLateResult(int attempt, string result)
    {
        if (Attempts.Find(a => a.Attempt == attempt) is { StaleResult: null } row)
            row.StaleResult = result.Length > 500 ? result[..500] : result;
    }
}
