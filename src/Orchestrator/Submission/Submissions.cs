using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Persistence;
using Orchestrator.Retries;
using Orchestrator.Sagas.EntityFrameworkCore;
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
    WriterGate writers,
    TimeProvider clock,
    ILogger<Submissions> logger)
{
    /// <summary>How long a submission waits for the broker to take its first attempt.</summary>
    static readonly TimeSpan DispatchTimeout = TimeSpan.FromSeconds(10);

    public async Task<SubmissionOutcome> SubmitAsync(InferenceRequested request, CancellationToken cancellationToken)
    {
        if (InputGate.Check(request, validation.Value, retryPolicy.Value) is { Count: > 0 } errors)
            return new SubmissionOutcome.Refused(errors);
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
            await DispatchAsync(db, publish, writers, saga, invocation, logger);
        return new SubmissionOutcome.Accepted(saga);
    }

    /// <summary>
    /// Publishes the first attempt of a committed row. The request is accepted either way: if the broker does not take
    /// the command, the row goes back to unstarted, and the timer sweep submits it again from the row once the broker
    /// is back. Not tied to the caller's cancellation: a client that hangs up after the commit still gets its request run.
    /// </summary>
    internal static async Task DispatchAsync(OrchestratorDbContext db, IPublishEndpoint publish, WriterGate writers,
        InferenceRequestState saga, InvokeModel invocation, ILogger logger)
    {
        try
        {
            using var timeout = new CancellationTokenSource(DispatchTimeout);
            await publish.Publish(invocation, p => p.TrySetPriority(InferenceRequestMessages.BrokerPriority(invocation.Priority)), timeout.Token);
            return;
        }
        catch (Exception exception)
        {
            logger.FirstDispatchNotPublished(exception, saga.RequestId);
        }

        try
        {
            // Only the row as this submission wrote it: if the command got through after all and a worker's result
            // was recorded, the version check leaves that alone.
            saga.ReturnToUnstarted();
            using var turn = await writers.EnterAsync(CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The row moved on: the command did reach a worker, whose report the saga recorded.
        }
        catch (Exception exception)
        {
            logger.FirstDispatchNotReopened(exception, saga.RequestId);
        }
    }
}
