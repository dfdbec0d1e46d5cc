using MassTransit;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.StateMachines.Activities;
using Orchestrator.Submission;
using Orchestrator.Telemetry;

namespace Orchestrator.StateMachines;

/// <summary>
/// Carries one inference request from submission to its one terminal outcome (drawn in docs/state-machine.md). Read
/// it by stage, one partial file each: Submission, Attempts, Retries, Review, OperatorCommands, LateEvents.
/// <para>
/// Throughout, a named method of <see cref="InferenceRequestState"/> or an activity (Activities/, resolved from the
/// container) changes the row, and the machine transitions on what the row then says: finished, held, or a retry
/// scheduled. Every worker event is matched on the attempt number: a result of another attempt is recorded as late
/// and changes nothing else. An event that is not legal in the current state is logged, counted and ignored. Every
/// waiting state has a durable timer on the row (the attempt timeout, the backoff, the deadline), found by the retry
/// poller and the sweep, so no timer can outlive its request.
/// </para>
/// </summary>
public sealed partial class InferenceRequestStateMachine : MassTransitStateMachine<InferenceRequestState>
{
    readonly RequestAdmission _admission;
    readonly DispatchHold _hold;
    readonly TimeoutOptions _timeouts;
    readonly TimeProvider _clock;
    readonly ILogger _logger;
    readonly OrchestratorMetrics _metrics;

    public InferenceRequestStateMachine(
        RequestAdmission admission,
        DispatchHold hold,
        IOptions<TimeoutOptions> timeouts,
        TimeProvider clock,
        ILogger<InferenceRequestStateMachine> logger,
        OrchestratorMetrics metrics)
    {
        _admission = admission;
        _hold = hold;
        _timeouts = timeouts.Value;
        _clock = clock;
        _logger = logger;
        _metrics = metrics;

        InstanceState(x => x.CurrentState);

        Event(() => InferenceRequested, x =>
        {
            x.CorrelateById(m => RequestIdentity.ToCorrelationId(m.Message.RequestId));
            // Pre-insert the row: of two concurrent submissions of one id, the loser loads the winner's saga.
            x.InsertOnInitial = true;
            x.SetSagaFactory(m => admission.NewRow(m.Message));
        });
        // Everything after the submission belongs to a request that exists; for one that does not, it is dropped.
        Correlate(() => AttemptStarted, m => m.RequestId);
        Correlate(() => AttemptSucceeded, m => m.RequestId);
        Correlate(() => AttemptFailed, m => m.RequestId);
        Correlate(() => RetryDue, m => m.RequestId);
        Correlate(() => AttemptTimedOut, m => m.RequestId);
        Correlate(() => DeadlineReached, m => m.RequestId);
        Correlate(() => CancelInference, m => m.RequestId);
        Correlate(() => ApproveInference, m => m.RequestId);
        Correlate(() => RejectInference, m => m.RequestId);
        Correlate(() => RetryInference, m => m.RequestId);
        Correlate(() => PauseInference, m => m.RequestId);
        Correlate(() => ResumeInference, m => m.RequestId);

        // Conditions on When() filter, they do not choose: every matching When of an event runs. So each state
        // handles each event once, and a choice inside it is an IfElse.
        Submission();
        Attempts();
        Retries();
        Review();
        OperatorCommands();
        LateEvents();

        OnUnhandledEvent(c =>
        {
            Illegal(c.Saga, c.Event.Name);
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

    public Event<InferenceRequested> InferenceRequested { get; private set; } = null!;
    public Event<AttemptStarted> AttemptStarted { get; private set; } = null!;
    public Event<AttemptSucceeded> AttemptSucceeded { get; private set; } = null!;
    public Event<AttemptFailed> AttemptFailed { get; private set; } = null!;
    public Event<RetryDue> RetryDue { get; private set; } = null!;
    public Event<AttemptTimedOut> AttemptTimedOut { get; private set; } = null!;
    public Event<DeadlineReached> DeadlineReached { get; private set; } = null!;
    public Event<CancelInference> CancelInference { get; private set; } = null!;
    public Event<ApproveInference> ApproveInference { get; private set; } = null!;
    public Event<RejectInference> RejectInference { get; private set; } = null!;
    public Event<RetryInference> RetryInference { get; private set; } = null!;
    public Event<PauseInference> PauseInference { get; private set; } = null!;
    public Event<ResumeInference> ResumeInference { get; private set; } = null!;

    /// <summary>
    /// The API's door (<see cref="Submissions"/>): the Initially transition for input already through the
    /// <see cref="InputGate"/>, taken on a new row before it is inserted, through the same <see cref="RequestAdmission"/>.
    /// Returns the command to publish once the row is committed, or null when the attempt is held (its timer dispatches it).
    /// </summary>
    internal InvokeModel? Admit(InferenceRequestState saga)
    {
        _admission.AcceptChecked(saga);
        return Dispatch(saga);
    }

    /// <summary>
    /// The retry poller's door (<see cref="Scheduling.RetryPoller"/>): the <see cref="RetryDue"/> transition, taken on a
    /// due RetryScheduled row the poller has claimed and locked, in the poller's own transaction. A retry so costs one
    /// transaction and one message less than a RetryDue through the saga queue, and never waits behind new work there.
    /// Returns the command to publish once the row is committed, or null when the attempt is held again.
    /// </summary>
    internal InvokeModel? FireRetry(InferenceRequestState saga, string source)
    {
        if (saga.NextAttemptAt is { } due)
            _metrics.TimerFired(source, (Now - due).TotalMilliseconds);
        StartNextAttempt(saga, source);
        return Dispatch(saga);
    }

    /// <summary>What <see cref="InferenceRequestBinderExtensions.DispatchAttempt{T}"/> does, for a row outside a message.</summary>
    InvokeModel? Dispatch(InferenceRequestState saga)
    {
        var held = _hold.Apply(saga);
        saga.CurrentState = (held ? RetryScheduled : Pending).Name;
        return held ? null : saga.Invocation();
    }

    DateTime Now => _clock.GetUtcNow().UtcDateTime;

    void Correlate<T>(System.Linq.Expressions.Expression<Func<Event<T>>> @event, Func<T, string?> requestId)
        where T : class =>
        Event(@event, x =>
        {
            x.CorrelateById(m => RequestIdentity.ToCorrelationId(requestId(m.Message)));
            x.OnMissingInstance(m => m.Discard());
        });
}
