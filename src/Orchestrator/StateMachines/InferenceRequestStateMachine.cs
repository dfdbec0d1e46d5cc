using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Fleet;
using Orchestrator.Retries;
using Orchestrator.Scheduling;
using Orchestrator.Telemetry;
using Orchestrator.Validation;

namespace Orchestrator.StateMachines;

/// <summary>
/// Carries one inference request from submission to its one terminal outcome. Every worker event is matched on the
/// attempt number: a result of an older attempt is recorded as stale and changes nothing else. An event that is not
/// legal in the current state is logged, counted and ignored. Every waiting state has a durable timer on the row:
/// Pending/Processing the attempt timeout, RetryScheduled the backoff (token-guarded), every state the deadline.
/// The row is the timer: the retry poller and the sweep find due rows, so no timer can outlive its request.
/// </summary>
public sealed class InferenceRequestStateMachine : MassTransitStateMachine<InferenceRequestState>
{
    public InferenceRequestStateMachine(
        ILogger<InferenceRequestStateMachine> logger,
        OrchestratorMetrics metrics,
        IOptions<ValidationOptions> validation,
        IOptions<RetryPolicyOptions> retry,
        IOptions<TimeoutOptions> timeouts,
        IOptions<ReviewOptions> review,
        FleetView fleet,
        RetryWakeups wakeups,
        TimeProvider clock)
    {
        var ctx = _ctx = new Dependencies(logger, metrics, retry.Value, timeouts.Value, clock, wakeups);
        Hold = new DispatchHold(fleet, ctx);

        InstanceState(x => x.CurrentState);

        Event(() => Submitted, x =>
        {
            x.CorrelateById(m => RequestIdentity.ToCorrelationId(m.Message.RequestId));
            // Pre-insert the row: of two concurrent submissions of one id, the loser loads the winner's saga.
            x.InsertOnInitial = true;
            x.SetSagaFactory(m => InferenceRequestState.Create(m.Message, clock.GetUtcNow().UtcDateTime, validation.Value.DefaultPriority));
        });
        // Everything after the submission belongs to a request that exists; for one that does not, it is dropped.
        Correlate(() => Started, m => m.RequestId);
        Correlate(() => AttemptOk, m => m.RequestId);
        Correlate(() => AttemptKo, m => m.RequestId);
        Correlate(() => TimerFired, m => m.RequestId);
        Correlate(() => TimedOut, m => m.RequestId);
        Correlate(() => DeadlinePassed, m => m.RequestId);
        Correlate(() => CancelRequested, m => m.RequestId);
        Correlate(() => Approved, m => m.RequestId);
        Correlate(() => Rejected, m => m.RequestId);
        Correlate(() => RetryRequested, m => m.RequestId);
        Correlate(() => PauseRequested, m => m.RequestId);
        Correlate(() => ResumeRequested, m => m.RequestId);

        // Conditions on When() filter, they do not choose: every matching When of an event runs. Hence IfElse,
        // and conditions that exclude each other.
        Initially(
            When(Submitted)
                .Then(c =>
                {
                    var errors = InputGate.Check(c.Message, validation.Value);
                    Stamp(c.Saga, ctx);
                    if (errors.Count == 0)
                        return;
                    c.Saga.FailureKind = nameof(FailureKind.InvalidInput);
                    c.Saga.Reason = string.Join("; ", errors);
                })
                .IfElse(c => c.Saga.FailureKind is null,
                    accepted => accepted
                        .Then(c =>
                        {
                            Accept(c.Saga, ctx);
                            logger.RequestAccepted(c.Saga.RequestId, c.Saga.Model);
                        })
                        .TransitionTo(Pending)
                        .DispatchAttempt(this),
                    refused => refused
                        .Then(c =>
                        {
                            c.Saga.CompletedAt = c.Saga.UpdatedAt;
                            logger.RequestRefused(c.Saga.RequestId, c.Saga.Reason!);
                        })
                        .TransitionTo(Failed)
                        .PublishOutcome()));

        During(Pending,
            When(Started, c => c.Message.Attempt == c.Saga.Attempt)
                .Then(c =>
                {
                    var attempt = c.Saga.AttemptRow(c.Message.Attempt);
                    attempt.WorkerId = c.Message.WorkerId;
                    attempt.StartedAt = c.Message.StartedAt.UtcDateTime;
                    Touch(c.Saga, clock);
                    c.Saga.AttemptTimeoutAt = Min(c.Saga.UpdatedAt + ctx.Timeouts.StartToCloseTimeout, c.Saga.AttemptTimeoutAt);
                })
                .TransitionTo(Processing));

        During(Processing,
            When(Started, c => c.Message.Attempt == c.Saga.Attempt)
                .Then(c => c.Saga.AttemptRow(c.Message.Attempt).WorkerId ??= c.Message.WorkerId));

        // Paused while an attempt runs: the attempt goes on and is recorded; no new one is dispatched.
        During(Paused,
            When(Started, c => IsCurrent(c.Saga, c.Message.Attempt))
                .Then(c =>
                {
                    var attempt = c.Saga.AttemptRow(c.Message.Attempt);
                    attempt.WorkerId ??= c.Message.WorkerId;
                    attempt.StartedAt ??= c.Message.StartedAt.UtcDateTime;
                    Touch(c.Saga, clock);
                    c.Saga.AttemptTimeoutAt = Min(c.Saga.UpdatedAt + ctx.Timeouts.StartToCloseTimeout, c.Saga.AttemptTimeoutAt);
                }),
            When(Started, c => !IsCurrent(c.Saga, c.Message.Attempt))
                .Then(c => Stale(c.Saga, "AttemptStarted", c.Message.Attempt, null, logger, metrics)),
            When(AttemptOk, c => !IsCurrent(c.Saga, c.Message.Attempt))
                .Then(c => Stale(c.Saga, "AttemptSucceeded", c.Message.Attempt, "Succeeded", logger, metrics)),
            When(AttemptKo, c => !IsCurrent(c.Saga, c.Message.Attempt))
                .Then(c => Stale(c.Saga, "AttemptFailed", c.Message.Attempt, $"Failed: {c.Message.Reason}", logger, metrics)),
            When(TimedOut, c => !IsCurrent(c.Saga, c.Message.Attempt) || !(c.Saga.AttemptTimeoutAt <= clock.GetUtcNow().UtcDateTime))
                .Then(c => StaleTimer(c.Saga, logger)),
            When(TimerFired)
                .Then(c => StaleTimer(c.Saga, logger)));

        // A worker publishes Started and then the result; the saga endpoint may consume them in either order,
        // so a result is legal in Pending too (and in Paused, for the attempt that ran when the request was paused).
        During(Pending, Processing, Paused,
            When(AttemptOk, c => IsCurrent(c.Saga, c.Message.Attempt))
                .Then(c =>
                {
                    c.Saga.RecordSuccess(c.Message);
                    metrics.AttemptDecided(AttemptOutcome.Succeeded, null);
                    c.Saga.Decision = review.Value.HoldReason(c.Message.Confidence) is { } hold
                        ? $"held for review: {hold}"
                        : $"passed: {review.Value.PassReason(c.Message.Confidence)}";
                })
                // The output gate: a low-confidence answer waits for an operator instead of succeeding.
                .IfElse(c => review.Value.HoldReason(c.Saga.Confidence) is not null,
                    held => held
                        .Then(c =>
                        {
                            ClearTimers(c.Saga);
                            c.Saga.PausedAt = null;
                            Touch(c.Saga, clock);
                            logger.HeldForReview(c.Saga.RequestId, c.Saga.Attempt, c.Saga.Decision!);
                        })
                        .TransitionTo(AwaitingReview),
                    passed => passed
                        .Then(c =>
                        {
                            Finish(c.Saga, clock);
                            metrics.Finished(RequestStates.Succeeded, (c.Saga.UpdatedAt - c.Saga.CreatedAt).TotalMilliseconds);
                            logger.RequestSucceeded(c.Saga.RequestId, c.Saga.Attempt);
                        })
                        .TransitionTo(Succeeded)
                        .PublishOutcome()),
            When(AttemptKo, c => IsCurrent(c.Saga, c.Message.Attempt) && c.Message.Kind != FailureKind.CircuitOpen)
                .Then(c =>
                {
                    c.Saga.RecordFailure(c.Message);
                    metrics.AttemptDecided(AttemptOutcome.Failed, c.Message.Kind.ToString());
                    Decide(c.Saga, new AttemptFailure(c.Message.Kind, c.Message.Cause, c.Message.Reason, c.Message.RetryAfter), ctx);
                })
                .RetryOrFail(this),
            // Every breaker was open: no call was made, so this is no attempt. It waits for the half-open time and
            // goes again under the same number; only the deadline can end it.
            When(AttemptKo, c => IsCurrent(c.Saga, c.Message.Attempt) && c.Message.Kind == FailureKind.CircuitOpen && !AttemptStartedOnRow(c.Saga))
                .Then(c => WaitForBreaker(c.Saga, c.Message, ctx))
                .RetryOrFail(this),
            // A worker that fails fast never reports a start, so once this attempt has started, a circuit-open
            // report for it belongs to an earlier dispatch of the same number (a redelivered message).
            When(AttemptKo, c => IsCurrent(c.Saga, c.Message.Attempt) && c.Message.Kind == FailureKind.CircuitOpen && AttemptStartedOnRow(c.Saga))
                .Then(c => Stale(c.Saga, "AttemptFailed", c.Message.Attempt, null, logger, metrics)),
            When(TimedOut, c => IsCurrent(c.Saga, c.Message.Attempt) && c.Saga.AttemptTimeoutAt <= clock.GetUtcNow().UtcDateTime)
                .Then(c =>
                {
                    var reason = c.Saga.RecordTimeout(c.Message.Attempt, clock.GetUtcNow().UtcDateTime);
                    metrics.AttemptDecided(AttemptOutcome.TimedOut, nameof(FailureKind.Transient));
                    Decide(c.Saga, new AttemptFailure(FailureKind.Transient, "timeout", reason, null), ctx);
                })
                .RetryOrFail(this));

        During(RetryScheduled,
            When(TimerFired, c => c.Message.Token == c.Saga.RetryToken)
                .Then(c =>
                {
                    var now = clock.GetUtcNow().UtcDateTime;
                    metrics.TimerFired(c.Message.Source, (now - c.Message.DueAt.UtcDateTime).TotalMilliseconds);
                    StartNextAttempt(c.Saga, c.Message.Source, ctx);
                })
                .TransitionTo(Pending)
                .DispatchAttempt(this),
            When(RetryRequested)
                .Then(c => StartNextAttempt(c.Saga, "operator", ctx))
                .TransitionTo(Pending)
                .DispatchAttempt(this),
            When(TimerFired, c => c.Message.Token != c.Saga.RetryToken)
                .Then(c => StaleTimer(c.Saga, logger)),
            Ignore(Started),
            Ignore(TimedOut));

        // Results that arrive after their attempt was decided (timed out, abandoned, superseded): recorded, not applied.
        During(Pending, Processing,
            When(Started, c => c.Message.Attempt != c.Saga.Attempt)
                .Then(c => Stale(c.Saga, "AttemptStarted", c.Message.Attempt, null, logger, metrics)),
            When(AttemptOk, c => c.Message.Attempt != c.Saga.Attempt)
                .Then(c => Stale(c.Saga, "AttemptSucceeded", c.Message.Attempt, "Succeeded", logger, metrics)),
            When(AttemptKo, c => c.Message.Attempt != c.Saga.Attempt)
                .Then(c => Stale(c.Saga, "AttemptFailed", c.Message.Attempt, $"Failed: {c.Message.Reason}", logger, metrics)),
            When(TimedOut, c => c.Message.Attempt != c.Saga.Attempt || !(c.Saga.AttemptTimeoutAt <= clock.GetUtcNow().UtcDateTime))
                .Then(c => StaleTimer(c.Saga, logger)),
            When(TimerFired)
                .Then(c => StaleTimer(c.Saga, logger)));
        // Once an attempt is decided and no new one runs, every result is late: recorded on its row, nothing else.
        During(RetryScheduled, AwaitingReview, Cancelled,
            When(AttemptOk)
                .Then(c => Stale(c.Saga, "AttemptSucceeded", c.Message.Attempt, "Succeeded", logger, metrics)),
            When(AttemptKo)
                .Then(c => Stale(c.Saga, "AttemptFailed", c.Message.Attempt, $"Failed: {c.Message.Reason}", logger, metrics)));
        // The very result that ended the request, consumed again: the message was redelivered or retried because
        // something failed after the transition committed (a crash, the broker away while the outbox published).
        // The outcome may never have left, so it is published again, with the same MessageId: subscribers that
        // deduplicate by MessageId see it once, and nothing else changes. A result of another attempt is late.
        During(Succeeded,
            When(AttemptOk, c => c.Message.Attempt == c.Saga.Attempt)
                .Then(c => Republished(c.Saga, logger, metrics))
                .PublishOutcome(),
            When(AttemptKo, c => c.Message.Attempt == c.Saga.Attempt)
                .Then(c => Illegal(c.Saga, "AttemptFailed", logger, metrics)));
        During(Failed,
            When(AttemptKo, c => c.Message.Attempt == c.Saga.Attempt)
                .Then(c => Republished(c.Saga, logger, metrics))
                .PublishOutcome(),
            When(AttemptOk, c => c.Message.Attempt == c.Saga.Attempt)
                .Then(c => Illegal(c.Saga, "AttemptSucceeded", logger, metrics)));
        During(Succeeded, Failed,
            When(AttemptOk, c => c.Message.Attempt != c.Saga.Attempt)
                .Then(c => Stale(c.Saga, "AttemptSucceeded", c.Message.Attempt, "Succeeded", logger, metrics)),
            When(AttemptKo, c => c.Message.Attempt != c.Saga.Attempt)
                .Then(c => Stale(c.Saga, "AttemptFailed", c.Message.Attempt, $"Failed: {c.Message.Reason}", logger, metrics)));

        // Waiting on a person or finished: no timer of the request applies any more (a review is not cut short by
        // the deadline), and a worker's Started consumed after its own result is a reordering, not an illegal event.
        During(AwaitingReview, Succeeded, Failed, Cancelled,
            Ignore(Started),
            When(TimerFired).Then(c => StaleTimer(c.Saga, logger)),
            When(TimedOut).Then(c => StaleTimer(c.Saga, logger)),
            When(DeadlinePassed).Then(c => StaleTimer(c.Saga, logger)));
        During(Succeeded, Failed, Cancelled,
            When(CancelRequested).Then(c => logger.CancelIgnored(c.Saga.RequestId, c.Saga.CurrentState ?? "")));

        During(AwaitingReview,
            When(Approved)
                .Then(c =>
                {
                    c.Saga.Decision += $"; approved by {c.Message.Reviewer ?? "an operator"}{Note(c.Message.Note)}";
                    Finish(c.Saga, clock);
                    metrics.Finished(RequestStates.Succeeded, (c.Saga.UpdatedAt - c.Saga.CreatedAt).TotalMilliseconds);
                    logger.ReviewDecided(c.Saga.RequestId, "approved", c.Message.Reviewer ?? "");
                })
                .TransitionTo(Succeeded)
                .PublishOutcome(),
            When(Rejected, c => !c.Message.Retry)
                .Then(c =>
                {
                    c.Saga.Decision += $"; rejected by {c.Message.Reviewer ?? "an operator"}{Note(c.Message.Reason)}";
                    c.Saga.FailureKind = nameof(FailureKind.Rejected);
                    c.Saga.Reason = $"rejected in review{Note(c.Message.Reason)}";
                    Finish(c.Saga, clock);
                    metrics.Finished(RequestStates.Failed, (c.Saga.UpdatedAt - c.Saga.CreatedAt).TotalMilliseconds);
                    logger.ReviewDecided(c.Saga.RequestId, "rejected", c.Message.Reviewer ?? "");
                })
                .TransitionTo(Failed)
                .PublishOutcome(),
            When(Rejected, c => c.Message.Retry)
                .Then(c =>
                {
                    c.Saga.Decision += $"; rejected by {c.Message.Reviewer ?? "an operator"}, asked again{Note(c.Message.Reason)}";
                    c.Saga.Output = null;
                    c.Saga.Confidence = null;
                    c.Saga.FinishReason = null;
                    c.Saga.Attempt++;
                    Touch(c.Saga, clock);
                    c.Saga.AttemptTimeoutAt = c.Saga.UpdatedAt + ctx.Timeouts.ScheduleToCloseTimeout;
                    logger.ReviewDecided(c.Saga.RequestId, "rejected, asked again", c.Message.Reviewer ?? "");
                })
                .TransitionTo(Pending)
                .DispatchAttempt(this));

        During(Pending, Processing, RetryScheduled, Paused,
            When(DeadlinePassed, c => c.Saga.Deadline <= clock.GetUtcNow().UtcDateTime)
                .Then(c =>
                {
                    c.Saga.FailureKind = nameof(FailureKind.DeadlineExceeded);
                    c.Saga.Reason = $"the request's deadline {c.Saga.Deadline:O} passed in state {c.Saga.CurrentState} (attempt {c.Saga.Attempt})";
                    ClearTimers(c.Saga);
                    Finish(c.Saga, clock);
                    logger.RequestFailed(c.Saga.RequestId, c.Saga.Attempt, c.Saga.FailureKind, c.Saga.Reason);
                })
                .TransitionTo(Failed)
                .PublishOutcome(),
            When(DeadlinePassed, c => !(c.Saga.Deadline <= clock.GetUtcNow().UtcDateTime))
                .Then(c => StaleTimer(c.Saga, logger)),
            When(CancelRequested)
                .Then(c =>
                {
                    c.Saga.FailureKind = null;
                    c.Saga.Reason = string.IsNullOrWhiteSpace(c.Message.Reason) ? $"cancelled in state {c.Saga.CurrentState}" : c.Message.Reason;
                    ClearTimers(c.Saga);
                    Finish(c.Saga, clock);
                    logger.RequestCancelled(c.Saga.RequestId, c.Saga.Reason);
                })
                .TransitionTo(Cancelled)
                .PublishOutcome());

        During(AwaitingReview,
            When(CancelRequested)
                .Then(c =>
                {
                    c.Saga.Reason = string.IsNullOrWhiteSpace(c.Message.Reason) ? "cancelled in review" : c.Message.Reason;
                    Finish(c.Saga, clock);
                    logger.RequestCancelled(c.Saga.RequestId, c.Saga.Reason);
                })
                .TransitionTo(Cancelled)
                .PublishOutcome());

        // Pause: no new attempt is dispatched until Resume. A running attempt is still awaited (its timeout stays).
        During(Pending, Processing, RetryScheduled,
            When(PauseRequested)
                .Then(c =>
                {
                    var reason = string.IsNullOrWhiteSpace(c.Message.Reason) ? "paused by an operator" : c.Message.Reason;
                    logger.RequestPaused(c.Saga.RequestId, c.Saga.CurrentState ?? "", reason);
                    Touch(c.Saga, clock);
                    c.Saga.PausedAt = c.Saga.UpdatedAt;
                    c.Saga.NextAttemptAt = null;
                    c.Saga.RetryToken = null;
                    c.Saga.RetryClaimedAt = null;
                })
                .TransitionTo(Paused));
        During(Paused,
            When(ResumeRequested, c => InFlight(c.Saga))
                .Then(c => Resumed(c.Saga, c.Message.Reason, logger, clock))
                .IfElse(c => c.Saga.Attempts.Find(a => a.Attempt == c.Saga.Attempt)?.StartedAt is not null,
                    started => started.TransitionTo(Processing),
                    waiting => waiting.TransitionTo(Pending)),
            When(ResumeRequested, c => !InFlight(c.Saga))
                .Then(c =>
                {
                    Resumed(c.Saga, c.Message.Reason, logger, clock);
                    StartNextAttempt(c.Saga, "resume", ctx);
                })
                .TransitionTo(Pending)
                .DispatchAttempt(this));

        // Retry a failed request: a new run with a fresh retry budget and a deadline of the original length. Its
        // outcome is a second terminal message with its own MessageId; invalid input would only fail again.
        During(Failed,
            When(RetryRequested, c => c.Saga.FailureKind != nameof(FailureKind.InvalidInput))
                .Then(c =>
                {
                    var saga = c.Saga;
                    var now = clock.GetUtcNow().UtcDateTime;
                    var budget = saga.Deadline is { } deadline ? deadline - saga.CreatedAt : ctx.Timeouts.DefaultDeadline;
                    saga.Run++;
                    saga.AttemptBase = saga.Attempt;
                    saga.Attempt++;
                    saga.Deadline = now + budget;
                    saga.FailureKind = null;
                    saga.Reason = null;
                    saga.Decision = null;
                    saga.CompletedAt = null;
                    saga.LastBackoffMs = null;
                    saga.UpdatedAt = now;
                    saga.AttemptTimeoutAt = now + ctx.Timeouts.ScheduleToCloseTimeout;
                    logger.RequestReopened(saga.RequestId, saga.Run, string.IsNullOrWhiteSpace(c.Message.Reason) ? "retried by an operator" : c.Message.Reason);
                })
                .TransitionTo(Pending)
                .DispatchAttempt(this),
            When(RetryRequested, c => c.Saga.FailureKind == nameof(FailureKind.InvalidInput))
                .Then(c => logger.OperatorCommandIgnored("RetryInference", c.Saga.RequestId, "Failed (InvalidInput)")));

        // An operator's command that does not apply in the state the request reached meanwhile: logged, not an error.
        During([Pending, Processing, AwaitingReview, Paused, Succeeded, Cancelled],
            When(RetryRequested).Then(c => logger.OperatorCommandIgnored("RetryInference", c.Saga.RequestId, c.Saga.CurrentState ?? "")));
        During([AwaitingReview, Paused, Succeeded, Failed, Cancelled],
            When(PauseRequested).Then(c => logger.OperatorCommandIgnored("PauseInference", c.Saga.RequestId, c.Saga.CurrentState ?? "")));
        During([Pending, Processing, RetryScheduled, AwaitingReview, Succeeded, Failed, Cancelled],
            When(ResumeRequested).Then(c => logger.OperatorCommandIgnored("ResumeInference", c.Saga.RequestId, c.Saga.CurrentState ?? "")));

        // The same request id again (a client retry, a redelivery): the saga that exists answers for it.
        DuringAny(Ignore(Submitted));

        OnUnhandledEvent(c =>
        {
            Illegal(c.Saga, c.Event.Name, logger, metrics);
            return c.Ignore();
        });
    }

    public State Pending { get; private set; } = null!;
    public State Processing { get; private set; } = null!;
    public State RetryScheduled { get; private set; } = null!;
    public State AwaitingReview { get; private set; } = null!;
    public State Paused { get; private set; } = null!;
    public State Succeeded { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;

    public Event<InferenceRequested> Submitted { get; private set; } = null!;
    public Event<AttemptStarted> Started { get; private set; } = null!;
    public Event<AttemptSucceeded> AttemptOk { get; private set; } = null!;
    public Event<AttemptFailed> AttemptKo { get; private set; } = null!;
    public Event<RetryDue> TimerFired { get; private set; } = null!;
    public Event<AttemptTimedOut> TimedOut { get; private set; } = null!;
    public Event<DeadlineReached> DeadlinePassed { get; private set; } = null!;
    public Event<CancelInference> CancelRequested { get; private set; } = null!;
    public Event<ApproveInference> Approved { get; private set; } = null!;
    public Event<RejectInference> Rejected { get; private set; } = null!;
    public Event<RetryInference> RetryRequested { get; private set; } = null!;
    public Event<PauseInference> PauseRequested { get; private set; } = null!;
    public Event<ResumeInference> ResumeRequested { get; private set; } = null!;

    void Correlate<T>(System.Linq.Expressions.Expression<Func<Event<T>>> @event, Func<T, string?> requestId)
        where T : class =>
        Event(@event, x =>
        {
            x.CorrelateById(m => RequestIdentity.ToCorrelationId(requestId(m.Message)));
            x.OnMissingInstance(m => m.Discard());
        });

    /// <summary>Holds dispatches of a model while every endpoint of it cools down (see <see cref="DispatchHold"/>).</summary>
    internal DispatchHold Hold { get; }

    readonly Dependencies _ctx;

    /// <summary>
    /// The submission's transition for input already through the <see cref="InputGate"/>, taken on the new row before
    /// <see cref="Api.Submissions"/> inserts it: the same fields the <see cref="Submitted"/> event sets, and Pending,
    /// or RetryScheduled when the model is held. Returns the command to publish once the row is committed, or null
    /// when the attempt is held (its timer dispatches it).
    /// </summary>
    internal InvokeModel? Admit(InferenceRequestState saga)
    {
        Stamp(saga, _ctx);
        Accept(saga, _ctx);
        if (Hold.Apply(saga))
        {
            saga.CurrentState = RetryScheduled.Name;
            return null;
        }
        saga.CurrentState = Pending.Name;
        return saga.Invocation();
    }

    /// <summary>What every submission gets, valid or not: the time, the trace, the default deadline.</summary>
    static void Stamp(InferenceRequestState saga, Dependencies ctx)
    {
        Touch(saga, ctx.Clock);
        saga.TraceParent ??= System.Diagnostics.Activity.Current?.Id;
        saga.Deadline ??= saga.CreatedAt + ctx.Timeouts.DefaultDeadline;
    }

    /// <summary>A valid submission's first attempt, and the timeout that ends it if no worker ever answers.</summary>
    static void Accept(InferenceRequestState saga, Dependencies ctx)
    {
        saga.Attempt = 1;
        saga.AttemptTimeoutAt = saga.UpdatedAt + ctx.Timeouts.ScheduleToCloseTimeout;
    }

    internal sealed record Dependencies(
        ILogger Logger,
        OrchestratorMetrics Metrics,
        RetryPolicyOptions Retry,
        TimeoutOptions Timeouts,
        TimeProvider Clock,
        RetryWakeups Wakeups);

    /// <summary>
    /// Applies the retry policy to the attempt that just failed: either NextAttemptAt and a fresh timer token are
    /// set (retry), or FailureKind and Reason (give up). The binder then transitions on which one it finds.
    /// </summary>
    static void Decide(InferenceRequestState saga, AttemptFailure failure, Dependencies ctx)
    {
        var now = ctx.Clock.GetUtcNow().UtcDateTime;
        saga.UpdatedAt = now;
        saga.AttemptTimeoutAt = null;
        // The budget counts from the current run: a Failed request an operator retried starts afresh.
        var history = new RetryHistory(
            saga.Attempt - saga.AttemptBase,
            Math.Max(1, saga.Attempts.Count(a => a.Attempt > saga.AttemptBase && a.Attempt <= saga.Attempt &&
                                                 string.Equals(a.Cause, failure.Cause, StringComparison.OrdinalIgnoreCase))),
            saga.LastBackoffMs is { } last ? TimeSpan.FromMilliseconds(last) : null);
        var decision = RetryPlanner.Decide(ctx.Retry, RequestPayload.FromJson(saga.Payload).RetryRequest(), history, failure, now, saga.Deadline, Random.Shared.NextDouble());

        var row = saga.AttemptRow(saga.Attempt);
        row.RetryAfterMs = failure.RetryAfter is { } ra ? (long)ra.TotalMilliseconds : null;
        switch (decision)
        {
            case RetryAfterDelay when saga.PausedAt is not null:
                // Paused: the failure is recorded, the retry waits for Resume (no timer, no token).
                saga.FailureKind = failure.Kind.ToString();
                saga.Reason = failure.Reason;
                ctx.Logger.RetryHeldByPause(saga.RequestId, saga.Attempt, failure.Reason);
                break;
            case RetryAfterDelay retry:
                saga.NextAttemptAt = retry.DueAtUtc;
                saga.RetryToken = Guid.NewGuid();
                saga.LastBackoffMs = (long)retry.Delay.TotalMilliseconds;
                saga.FailureKind = failure.Kind.ToString();
                saga.Reason = failure.Reason;
                row.BackoffMs = saga.LastBackoffMs;
                row.ScheduledFor = retry.DueAtUtc;
                ctx.Wakeups.Due(retry.DueAtUtc);
                ctx.Metrics.RetryScheduled(failure.Cause, retry.Delay.TotalMilliseconds);
                ctx.Logger.RetryScheduled(saga.RequestId, saga.Attempt, (long)retry.Delay.TotalMilliseconds, failure.Kind.ToString(), failure.Reason);
                break;
            case GiveUp giveUp:
                GiveUpNow(saga, giveUp, now, ctx);
                break;
        }
    }

    /// <summary>
    /// A circuit-open fast-fail: the retry is due when the worker said a breaker half-opens. The attempt number, the
    /// budget and the attempt rows stay as they are (no row: no call was made); the row's FailureKind and Reason say
    /// why the request waits, and <see cref="StartNextAttempt"/> re-dispatches the same number.
    /// </summary>
    static void WaitForBreaker(InferenceRequestState saga, AttemptFailed message, Dependencies ctx)
    {
        var now = ctx.Clock.GetUtcNow().UtcDateTime;
        saga.UpdatedAt = now;
        saga.AttemptTimeoutAt = null;
        var failure = new AttemptFailure(message.Kind, message.Cause, message.Reason, message.RetryAfter);
        var decision = RetryPlanner.DecideCircuitOpen(ctx.Retry, failure, message.RetryAt?.UtcDateTime, now, saga.Deadline);
        ctx.Metrics.AttemptDecided(AttemptOutcome.Failed, nameof(FailureKind.CircuitOpen));
        switch (decision)
        {
            case RetryAfterDelay paused when saga.PausedAt is not null:
                saga.FailureKind = nameof(FailureKind.CircuitOpen);
                saga.Reason = message.Reason;
                saga.HeldUntil = paused.DueAtUtc;
                saga.HeldReason = message.Reason;
                ctx.Logger.RetryHeldByPause(saga.RequestId, saga.Attempt, message.Reason);
                break;
            case RetryAfterDelay retry:
                saga.NextAttemptAt = retry.DueAtUtc;
                saga.RetryToken = Guid.NewGuid();
                saga.FailureKind = nameof(FailureKind.CircuitOpen);
                saga.Reason = message.Reason;
                saga.HeldUntil = retry.DueAtUtc;
                saga.HeldReason = message.Reason;
                ctx.Wakeups.Due(retry.DueAtUtc);
                ctx.Metrics.RetryScheduled(message.Cause ?? "circuit-open", retry.Delay.TotalMilliseconds);
                ctx.Logger.WaitingForBreaker(saga.RequestId, saga.Attempt, message.Reason, retry.DueAtUtc);
                break;
            case GiveUp giveUp:
                GiveUpNow(saga, giveUp, now, ctx);
                break;
        }
    }

    /// <summary>The request ends Failed with the planner's kind and reason (the binder moves it to Failed).</summary>
    static void GiveUpNow(InferenceRequestState saga, GiveUp giveUp, DateTime now, Dependencies ctx)
    {
        saga.PausedAt = null;
        saga.HeldUntil = null;
        saga.HeldReason = null;
        saga.NextAttemptAt = null;
        saga.RetryToken = null;
        saga.FailureKind = giveUp.Kind.ToString();
        saga.Reason = giveUp.Reason;
        saga.CompletedAt = now;
        ctx.Metrics.Finished(RequestStates.Failed, (now - saga.CreatedAt).TotalMilliseconds);
        ctx.Logger.RequestFailed(saga.RequestId, saga.Attempt, saga.FailureKind, saga.Reason);
    }

    /// <summary>A worker reported the start of the current attempt.</summary>
    static bool AttemptStartedOnRow(InferenceRequestState saga) => saga.Attempts.Find(a => a.Attempt == saga.Attempt)?.StartedAt is not null;

    /// <summary>
    /// The current attempt was held (every endpoint open or cooling down) and made no call: the next dispatch is the
    /// same attempt.
    /// </summary>
    static bool WaitedForBreaker(InferenceRequestState saga) => saga.HeldUntil is not null;

    internal static bool RetryDecided(InferenceRequestState saga) => saga.RetryToken is not null;

    /// <summary>An attempt was dispatched and not yet decided: its timeout is set exactly then.</summary>
    static bool InFlight(InferenceRequestState saga) => saga.AttemptTimeoutAt is not null;

    /// <summary>
    /// A worker event of the attempt the saga waits for. A paused request waits for one only while its attempt is in
    /// flight; after that, a redelivered result of the same number is late.
    /// </summary>
    static bool IsCurrent(InferenceRequestState saga, int attempt) =>
        attempt == saga.Attempt && (saga.CurrentState != RequestStates.Paused || InFlight(saga));

    /// <summary>
    /// The next attempt starts now: after its backoff, at an operator's request, or on resume. After a circuit-open
    /// wait it is the same attempt again: that dispatch made no call.
    /// </summary>
    static void StartNextAttempt(InferenceRequestState saga, string source, Dependencies ctx)
    {
        var now = ctx.Clock.GetUtcNow().UtcDateTime;
        if (!WaitedForBreaker(saga))
        {
            var previous = saga.AttemptRow(saga.Attempt);
            previous.FiredAt ??= now;
            if (previous.FinishedAt is { } failedAt)
                ctx.Metrics.RetryWaited((now - failedAt).TotalMilliseconds);
            saga.Attempt++;
        }
        saga.HeldUntil = null;
        saga.HeldReason = null;
        saga.RetryToken = null;
        saga.NextAttemptAt = null;
        saga.RetryClaimedAt = null;
        saga.UpdatedAt = now;
        saga.AttemptTimeoutAt = now + ctx.Timeouts.ScheduleToCloseTimeout;
        ctx.Logger.RetryStarted(saga.RequestId, saga.Attempt, source);
    }

    static void Resumed(InferenceRequestState saga, string? reason, ILogger logger, TimeProvider clock)
    {
        logger.RequestResumed(saga.RequestId, string.IsNullOrWhiteSpace(reason) ? "resumed by an operator" : reason);
        saga.PausedAt = null;
        Touch(saga, clock);
    }

    // The row is the timer: clearing its due times is what removes it.
    static void ClearTimers(InferenceRequestState saga)
    {
        saga.HeldUntil = null;
        saga.HeldReason = null;
        saga.NextAttemptAt = null;
        saga.RetryClaimedAt = null;
        saga.AttemptTimeoutAt = null;
    }

    static void Finish(InferenceRequestState saga, TimeProvider clock)
    {
        ClearTimers(saga);
        saga.PausedAt = null;
        saga.RetryToken = null;
        Touch(saga, clock);
        saga.CompletedAt = saga.UpdatedAt;
    }

    static string Note(string? text) => string.IsNullOrWhiteSpace(text) ? "" : $": {text}";

    static DateTime? Min(DateTime a, DateTime? b) => b is { } value && value < a ? value : a;

    static void Touch(InferenceRequestState saga, TimeProvider clock) => saga.UpdatedAt = clock.GetUtcNow().UtcDateTime;

    static void Stale(InferenceRequestState saga, string eventName, int attempt, string? result, ILogger logger, OrchestratorMetrics metrics)
    {
        metrics.StaleEvent(eventName);
        logger.StaleEvent(eventName, saga.RequestId, attempt, saga.Attempt);
        if (result is not null && saga.Attempts.Find(a => a.Attempt == attempt) is { } row && row.StaleResult is null)
            row.StaleResult = result.Length > 500 ? result[..500] : result;
    }

    static void Illegal(InferenceRequestState saga, string eventName, ILogger logger, OrchestratorMetrics metrics)
    {
        var state = saga.CurrentState ?? "(none)";
        metrics.IllegalEvent(eventName, state);
        logger.IllegalEvent(eventName, saga.RequestId, state);
    }

    static void Republished(InferenceRequestState saga, ILogger logger, OrchestratorMetrics metrics)
    {
        metrics.OutcomeRepublished(saga.CurrentState ?? "");
        logger.OutcomeRepublished(saga.RequestId, saga.CurrentState ?? "");
    }

    static void StaleTimer(InferenceRequestState saga, ILogger logger) => logger.StaleTimer(saga.RequestId, saga.CurrentState ?? "(none)");
}
