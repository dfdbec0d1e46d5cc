using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Persistence;
using Orchestrator.Retries;
using Orchestrator.Sagas.EntityFrameworkCore;
using Orchestrator.Scheduling;
using Orchestrator.StateMachines;
using Orchestrator.StateMachines.Activities;
using Orchestrator.Telemetry;

namespace Orchestrator.Submission;

/// <summary>
/// Submission in-process, for the HTTP API and the embedded demo: the row is inserted already accepted (Pending,
/// attempt 1, or RetryScheduled when the model is held), through the state machine's own <see cref="InferenceRequestStateMachine.Admit"/>,
/// and the first attempt is published after the commit. So a request costs one transaction and one message to
/// dispatch, where a submission over the bus costs its own message and the saga's transaction. The request is
/// visible the moment it is accepted, of concurrent submissions of one id exactly one inserts it, and no worker
/// result can arrive before its row.
/// </summary>
public sealed class Submissions(
    OrchestratorDbContext db,
    IPublishEndpoint publish,
    InferenceRequestStateMachine machine,
    RequestAdmission admission,
    IOptions<ValidationOptions> validation,
    IOptions<RetryPolicyOptions> retryPolicy,
    IOptions<Callbacks.CallbackOptions> callbacks,
    WriterGate writers,
    RetryWakeups wakeups,
    TimeProvider clock,
    ILogger<Submissions> logger)
{
    /// <summary>How long a submission waits for the broker to take its first attempt.</summary>
    static readonly TimeSpan DispatchTimeout = TimeSpan.FromSeconds(10);

    public async Task<SubmissionOutcome> SubmitAsync(InferenceRequested request, CancellationToken cancellationToken)
    {
        if (InputGate.Check(request, validation.Value, retryPolicy.Value) is { Count: > 0 } errors)
            return new SubmissionOutcome.Refused(errors);
        if (Callbacks.CallbackGate.Check(request.Callback, callbacks.Value) is { Count: > 0 } callbackErrors)
            return new SubmissionOutcome.Refused(callbackErrors);
        if (InputGate.DeadlinePassed(request, clock.GetUtcNow()) is { } late)
        {
            // Refused only as a new request: an id that exists answers as it always does.
            var correlationId = RequestIdentity.ToCorrelationId(request.RequestId);
            var stored = await db.Requests.AsNoTracking().SingleOrDefaultAsync(x => x.CorrelationId == correlationId, cancellationToken);
            return stored is null ? new SubmissionOutcome.Refused([late])
                : stored.PayloadHash == RequestPayload.Hash(request) ? new SubmissionOutcome.Existing(stored)
                : new SubmissionOutcome.Conflict(stored);
        }

        var saga = admission.NewRow(request);
        var invocation = machine.Admit(saga);
        await RequestGenerations.NumberAsync(db, saga, cancellationToken);
        db.Requests.Add(saga);
        try
        {
            using var turn = await writers.EnterAsync(cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (UniqueViolation.Is(exception))
        {
            db.ChangeTracker.Clear();
            var existing = await db.Requests.AsNoTracking().SingleAsync(x => x.CorrelationId == saga.CorrelationId, cancellationToken);
            return existing.PayloadHash == saga.PayloadHash ? new SubmissionOutcome.Existing(existing) : new SubmissionOutcome.Conflict(existing);
        }

        logger.RequestAccepted(saga.RequestId, saga.Model);
        if (invocation is not null)
            await DispatchAsync(new FirstDispatch(db, publish, writers, wakeups, clock, logger), saga, invocation);
        return new SubmissionOutcome.Accepted(saga);
    }

    /// <summary>
    /// Publishes the first attempt of a committed row. The request is accepted either way. If the broker does not
    /// confirm the command (down, or no confirm within 10 s), the command may still reach a worker: a publish given up
    /// while waiting for its confirm can be delivered later (a memory alarm holds it, then lets it through). So attempt
    /// 1 counts as made, and attempt 2 is scheduled at once for the retry poller to dispatch once the broker is back;
    /// an answer of attempt 1 that comes after all is recorded on its row, never applied. Not tied to the caller's
    /// cancellation: a client that hangs up after the commit still gets its request run.
    /// </summary>
    internal static async Task DispatchAsync(FirstDispatch dispatch, InferenceRequestState saga, InvokeModel invocation)
    {
        string why;
        try
        {
            using var timeout = new CancellationTokenSource(DispatchTimeout);
            await dispatch.Publish.Publish(invocation, p => p.TrySetPriority(InferenceRequestMessages.BrokerPriority(invocation.Priority)), timeout.Token);
            return;
        }
        catch (Exception exception)
        {
            dispatch.Logger.FirstDispatchNotPublished(exception, saga.RequestId, invocation.Attempt);
            why = exception is OperationCanceledException ? $"no confirm within {DispatchTimeout.TotalSeconds:0} s" : exception.Message;
        }

        try
        {
            // Only the row as this submission wrote it: if the command got through after all and a worker's report
            // was recorded, the version check leaves that alone.
            var now = dispatch.Clock.GetUtcNow().UtcDateTime;
            saga.DispatchUnconfirmed(now,
                $"the broker did not confirm attempt {invocation.Attempt}'s command ({why}); it may still reach a worker, so attempt {invocation.Attempt + 1} goes instead");
            using var turn = await dispatch.Writers.EnterAsync(CancellationToken.None);
            await dispatch.Db.SaveChangesAsync(CancellationToken.None);
            dispatch.Wakeups.Due(now);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The row moved on: the command did reach a worker, whose report the saga recorded.
        }
        catch (Exception exception)
        {
            dispatch.Logger.FirstDispatchNotReopened(exception, saga.RequestId);
        }
    }
}

/// <summary>What <see cref="Submissions.DispatchAsync"/> works with: the submission's own context and bus, and the retry poller to wake.</summary>
sealed record FirstDispatch(
    OrchestratorDbContext Db, IPublishEndpoint Publish, WriterGate Writers, RetryWakeups Wakeups, TimeProvider Clock, ILogger Logger);
