using Orchestrator.Contracts;

namespace Orchestrator.StateMachines;

/// <summary>
/// Every change the machine makes to a request, by name. The machine and its activities call these and then
/// transition on what the row says (<see cref="IsFinished"/>, <see cref="IsHeld"/>, <see cref="RetryIsScheduled"/>).
/// </summary>
public partial class InferenceRequestState
{
    /// <summary>The request reached its end (terminal state, or about to be moved there).</summary>
    public bool IsFinished => CompletedAt is not null;

    /// <summary>The current attempt waits, unspent, because no endpoint of the model may be called.</summary>
    public bool IsHeld => HeldUntil is not null;

    /// <summary>A backoff (or hold) timer is set: the retry poller fires it when due.</summary>
    public bool RetryIsScheduled => RetryToken is not null;

    /// <summary>An attempt was dispatched and not yet decided: its timeout is set exactly then.</summary>
    public bool AttemptInFlight => AttemptTimeoutAt is not null;

    /// <summary>What every submission gets, valid or not: the time, the trace, the default deadline.</summary>
    public void Stamp(DateTime now, TimeSpan defaultDeadline, string? traceParent)
    {
        UpdatedAt = now;
        TraceParent ??= traceParent;
        Deadline ??= CreatedAt + defaultDeadline;
    }

    /// <summary>Invalid input: the request ends at once (the machine moves it to Failed).</summary>
    public void Refuse(string reason)
    {
        FailureKind = nameof(Contracts.FailureKind.InvalidInput);
        Reason = reason;
        CompletedAt = UpdatedAt;
    }

    /// <summary>A valid submission's first attempt, and the timeout that ends it if no worker ever answers.</summary>
    public void Accept(TimeSpan scheduleToClose)
    {
        Attempt = 1;
        AttemptTimeoutAt = UpdatedAt + scheduleToClose;
    }

    /// <summary>The cause recorded on an attempt whose command the broker did not confirm.</summary>
    public const string DispatchUnconfirmedCause = "dispatch-unconfirmed";

    /// <summary>
    /// The current attempt's command was not confirmed by the broker. It may still reach a worker (a publish given up
    /// while waiting for its confirm can be delivered later), so it counts as made: its row is decided as a transient
    /// failure, and the next attempt is due now (or at <paramref name="retryAt"/>), a retry like any other. A late answer of this attempt is then recorded
    /// on its row and never applied, and the model is never called twice under one attempt number.
    /// </summary>
    public void DispatchUnconfirmed(DateTime now, string reason, DateTime? retryAt = null)
    {
        var row = AttemptRow(Attempt);
        row.Outcome = AttemptOutcome.Failed;
        row.FailureKind = nameof(Contracts.FailureKind.Transient);
        row.Cause = DispatchUnconfirmedCause;
        row.Reason = reason;
        row.FinishedAt = now;
        var due = retryAt ?? now;
        row.BackoffMs = (long)(due - now).TotalMilliseconds;
        row.ScheduledFor = due;
        CurrentState = RequestStates.RetryScheduled;
        ClearTimers();
        FailureKind = row.FailureKind;
        Reason = reason;
        LastBackoffMs = row.BackoffMs;
        NextAttemptAt = due;
        RetryToken = Guid.NewGuid();
        UpdatedAt = now;
    }

    /// <summary>
    /// The attempt about to be dispatched is not, until <paramref name="until"/> (every endpoint of its model cools
    /// down): the number it took is given back, so <see cref="Attempt"/> still counts the attempts dispatched, and the
    /// hold is a retry timer like a backoff. The next attempt takes the number again.
    /// </summary>
    public void Hold(DateTime until, string reason, DateTime now)
    {
        ClearTimers();
        GiveBackAttempt();
        HeldUntil = until;
        HeldReason = reason;
        NextAttemptAt = until;
        RetryToken = Guid.NewGuid();
        UpdatedAt = now;
    }

    /// <summary>The current attempt is decided (failed or timed out); what follows is a retry, a wait or the end.</summary>
    public void EndAttempt(DateTime now)
    {
        UpdatedAt = now;
        AttemptTimeoutAt = null;
    }

    /// <summary>The next attempt is due at <paramref name="dueAt"/>, after <paramref name="backoff"/>.</summary>
    public void ScheduleRetry(TimeSpan backoff, DateTime dueAt, string failureKind, string reason)
    {
        NextAttemptAt = dueAt;
        RetryToken = Guid.NewGuid();
        LastBackoffMs = (long)backoff.TotalMilliseconds;
        FailureKind = failureKind;
        Reason = reason;
        var row = AttemptRow(Attempt);
        row.BackoffMs = LastBackoffMs;
        row.ScheduledFor = dueAt;
    }

    /// <summary>
    /// The dispatch of the current attempt made no call (every breaker of the model was open): it was no attempt, and
    /// its number is given back for the next dispatch to take again.
    /// </summary>
    public void GiveBackAttempt() => Attempt--;

    /// <summary>
    /// After <see cref="GiveBackAttempt"/>: the next attempt goes at <paramref name="until"/>, when a breaker
    /// half-opens, or, while paused, on Resume (no timer then).
    /// </summary>
    public void WaitForBreakers(DateTime until, string reason, bool paused)
    {
        FailureKind = nameof(Contracts.FailureKind.CircuitOpen);
        Reason = reason;
        HeldUntil = until;
        HeldReason = reason;
        if (paused)
            return;
        NextAttemptAt = until;
        RetryToken = Guid.NewGuid();
    }

    /// <summary>A retry is due but the request is paused: the failure stays on record and the retry waits for Resume.</summary>
    public void KeepFailureForResume(string failureKind, string reason)
    {
        FailureKind = failureKind;
        Reason = reason;
    }

    /// <summary>
    /// The next attempt starts now: after its backoff or a hold, at an operator's request, or on resume. Returns how
    /// long the request waited since its last attempt failed, when this ends that attempt's backoff (a hold that
    /// follows a backoff was counted when the backoff ended).
    /// </summary>
    public TimeSpan? BeginNextAttempt(DateTime now, TimeSpan scheduleToClose)
    {
        TimeSpan? waited = null;
        if (!IsHeld && Attempt > 0)
        {
            var previous = AttemptRow(Attempt);
            previous.FiredAt ??= now;
            if (previous.FinishedAt is { } failedAt)
                waited = now - failedAt;
        }
        // A hold written before held numbers were given back kept its number unspent (no attempt row has it yet):
        // that number is the next one.
        if (!(IsHeld && Attempt > AttemptBase && Attempts.TrueForAll(a => a.Attempt != Attempt)))
            Attempt++;
        ClearTimers();
        UpdatedAt = now;
        AttemptTimeoutAt = now + scheduleToClose;
        return waited;
    }

    /// <summary>The answer waits for an operator's review: no timer of the request applies any more.</summary>
    public void HoldForReview(DateTime now)
    {
        ClearTimers();
        PausedAt = null;
        UpdatedAt = now;
    }

    /// <summary>The request ends (Succeeded, Failed or Cancelled): every timer goes with it.</summary>
    public void Complete(DateTime now)
    {
        ClearTimers();
        PausedAt = null;
        UpdatedAt = now;
        CompletedAt = now;
    }

    /// <summary>The request ends Failed with <paramref name="kind"/>: retries, attempts or the deadline exhausted.</summary>
    public void GiveUp(FailureKind kind, string reason, DateTime now)
    {
        FailureKind = kind.ToString();
        Reason = reason;
        Complete(now);
    }

    public void ExceedDeadline(DateTime now) =>
        GiveUp(Contracts.FailureKind.DeadlineExceeded,
            $"the request's deadline {Deadline:O} passed in state {CurrentState} (attempt {Attempt})", now);

    public void Cancel(string? reason, DateTime now)
    {
        var why = string.IsNullOrWhiteSpace(reason)
            ? CurrentState == RequestStates.AwaitingReview ? "cancelled in review" : $"cancelled in state {CurrentState}"
            : reason;
        FailureKind = null;
        Reason = why;
        Complete(now);
    }

    public void Approve(string? reviewer, string? note, DateTime now)
    {
        Decision += $"; approved by {reviewer ?? "an operator"}{Note(note)}";
        Complete(now);
    }

    public void Reject(string? reviewer, string? reason, DateTime now)
    {
        Decision += $"; rejected by {reviewer ?? "an operator"}{Note(reason)}";
        FailureKind = nameof(Contracts.FailureKind.Rejected);
        Reason = $"rejected in review{Note(reason)}";
        Complete(now);
    }

    /// <summary>The reviewer rejected the answer and asked again: the next attempt, on the same budget.</summary>
    public void AskAgain(string? reviewer, string? reason, DateTime now, TimeSpan scheduleToClose)
    {
        Decision += $"; rejected by {reviewer ?? "an operator"}, asked again{Note(reason)}";
        Output = null;
        Confidence = null;
        FinishReason = null;
        Attempt++;
        UpdatedAt = now;
        AttemptTimeoutAt = now + scheduleToClose;
    }

    /// <summary>
    /// No new attempt is dispatched until Resume. A running attempt is still awaited (its timeout stays), and a hold
    /// keeps its mark so that Resume dispatches the same attempt.
    /// </summary>
    public void Pause(DateTime now)
    {
        UpdatedAt = now;
        PausedAt = now;
        NextAttemptAt = null;
        RetryToken = null;
    }

    public void Resume(DateTime now)
    {
        PausedAt = null;
        UpdatedAt = now;
    }

    /// <summary>
    /// An operator retries a Failed request: a new run with a fresh retry budget and a deadline of the original length.
    /// Its outcome is a second terminal message with its own MessageId.
    /// </summary>
    public void Reopen(DateTime now, TimeSpan defaultDeadline, TimeSpan scheduleToClose)
    {
        var budget = Deadline is { } deadline ? deadline - CreatedAt : defaultDeadline;
        Run++;
        AttemptBase = Attempt;
        Attempt++;
        Deadline = now + budget;
        FailureKind = null;
        Reason = null;
        Decision = null;
        CompletedAt = null;
        LastBackoffMs = null;
        UpdatedAt = now;
        AttemptTimeoutAt = now + scheduleToClose;
    }

    // The row is the timer: clearing its due times is what removes it.
    void ClearTimers()
    {
        HeldUntil = null;
        HeldReason = null;
        NextAttemptAt = null;
        RetryToken = null;
        AttemptTimeoutAt = null;
    }

    static string Note(string? text) => string.IsNullOrWhiteSpace(text) ? "" : $": {text}";
}
