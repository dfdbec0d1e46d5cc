using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Telemetry;
using Orchestrator.Validation;

namespace Orchestrator.StateMachines;

/// <summary>
/// Carries one inference request from submission to its one terminal outcome. Every worker event is matched on the
/// attempt number: a result of an older attempt changes nothing. An event that is not legal in the current state is
/// logged, counted and ignored.
/// </summary>
public sealed class InferenceRequestStateMachine : MassTransitStateMachine<InferenceRequestState>
{
    public InferenceRequestStateMachine(
        ILogger<InferenceRequestStateMachine> logger,
        OrchestratorMetrics metrics,
        IOptions<ValidationOptions> validation,
        TimeProvider clock)
    {
        InstanceState(x => x.CurrentState);

        Event(() => Submitted, x =>
        {
            x.CorrelateById(m => RequestIdentity.ToCorrelationId(m.Message.RequestId));
            // Pre-insert the row: of two concurrent submissions of one id, the loser loads the winner's saga.
            x.InsertOnInitial = true;
            x.SetSagaFactory(m => InferenceRequestState.Create(m.Message, clock.GetUtcNow().UtcDateTime));
        });
        Event(() => Started, x =>
        {
            x.CorrelateById(m => RequestIdentity.ToCorrelationId(m.Message.RequestId));
            // Started carries no outcome: losing one for an unknown saga is harmless.
            x.OnMissingInstance(m => m.Discard());
        });
        Event(() => AttemptOk, x =>
        {
            x.CorrelateById(m => RequestIdentity.ToCorrelationId(m.Message.RequestId));
            x.OnMissingInstance(m => m.Discard());
        });
        Event(() => AttemptKo, x =>
        {
            x.CorrelateById(m => RequestIdentity.ToCorrelationId(m.Message.RequestId));
            x.OnMissingInstance(m => m.Discard());
        });

        // Conditions on When() filter, they do not choose: both branches of one event would run. Hence IfElse.
        Initially(
            When(Submitted)
                .Then(c =>
                {
                    var errors = InputGate.Check(c.Message, validation.Value);
                    Touch(c.Saga, clock);
                    if (errors.Count == 0)
                        return;
                    c.Saga.FailureKind = nameof(FailureKind.InvalidInput);
                    c.Saga.Reason = string.Join("; ", errors);
                })
                .IfElse(c => c.Saga.FailureKind is null,
                    accepted => accepted
                        .Then(c =>
                        {
                            c.Saga.Attempt = 1;
                            logger.RequestAccepted(c.Saga.RequestId, c.Saga.Model);
                        })
                        .TransitionTo(Pending)
                        .DispatchAttempt(),
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
                })
                .TransitionTo(Processing));

        // A worker publishes Started and then the result; the saga endpoint may consume them in either order,
        // so a result is legal in Pending too, and a Started that arrives after it is a duplicate.
        During(Pending, Processing,
            When(Started, c => c.Message.Attempt != c.Saga.Attempt)
                .Then(c => Stale(c, c.Message.Attempt, logger, metrics)),
            When(AttemptOk, c => c.Message.Attempt == c.Saga.Attempt)
                .Then(c =>
                {
                    c.Saga.RecordSuccess(c.Message);
                    Touch(c.Saga, clock);
                    c.Saga.CompletedAt = c.Saga.UpdatedAt;
                    logger.RequestSucceeded(c.Saga.RequestId, c.Saga.Attempt);
                })
                .TransitionTo(Succeeded)
                .PublishOutcome(),
            When(AttemptOk, c => c.Message.Attempt != c.Saga.Attempt)
                .Then(c => Stale(c, c.Message.Attempt, logger, metrics)),
            When(AttemptKo, c => c.Message.Attempt == c.Saga.Attempt)
                .Then(c =>
                {
                    c.Saga.RecordFailure(c.Message);
                    c.Saga.FailureKind = c.Message.Kind.ToString();
                    c.Saga.Reason = c.Message.Reason;
                    Touch(c.Saga, clock);
                    c.Saga.CompletedAt = c.Saga.UpdatedAt;
                    logger.RequestFailed(c.Saga.RequestId, c.Saga.Attempt, c.Saga.FailureKind, c.Saga.Reason);
                })
                .TransitionTo(Failed)
                .PublishOutcome(),
            When(AttemptKo, c => c.Message.Attempt != c.Saga.Attempt)
                .Then(c => Stale(c, c.Message.Attempt, logger, metrics)));

        During(Processing,
            When(Started, c => c.Message.Attempt == c.Saga.Attempt)
                .Then(c => c.Saga.AttemptRow(c.Message.Attempt).WorkerId ??= c.Message.WorkerId));

        // The same request id again (a client retry, a redelivery): the saga that exists answers for it.
        DuringAny(Ignore(Submitted));

        OnUnhandledEvent(c =>
        {
            var state = c.Saga.CurrentState ?? "(none)";
            metrics.IllegalEvent(c.Event.Name, state);
            logger.IllegalEvent(c.Event.Name, c.Saga.RequestId, state);
            return c.Ignore();
        });
    }

    public State Pending { get; private set; } = null!;
    public State Processing { get; private set; } = null!;
    public State Succeeded { get; private set; } = null!;
    public State Failed { get; private set; } = null!;

    public Event<InferenceRequested> Submitted { get; private set; } = null!;
    public Event<AttemptStarted> Started { get; private set; } = null!;
    public Event<AttemptSucceeded> AttemptOk { get; private set; } = null!;
    public Event<AttemptFailed> AttemptKo { get; private set; } = null!;

    static void Touch(InferenceRequestState saga, TimeProvider clock) => saga.UpdatedAt = clock.GetUtcNow().UtcDateTime;

    static void Stale<T>(BehaviorContext<InferenceRequestState, T> c, int attempt, ILogger logger, OrchestratorMetrics metrics)
        where T : class
    {
        metrics.StaleEvent(typeof(T).Name);
        logger.StaleEvent(typeof(T).Name, c.Saga.RequestId, attempt, c.Saga.Attempt);
    }
}
