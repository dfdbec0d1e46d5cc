using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Callbacks;
using Orchestrator.Contracts;
using Orchestrator.Persistence;
using Orchestrator.Sagas.EntityFrameworkCore;

namespace Orchestrator.Batches;

/// <summary>
/// The batch completion sweep, a step of each <see cref="Scheduling.TimerSweepJob"/> pass (a clustered Quartz job, so
/// one node runs each pass; a trigger of its own would double the idle cost of the clustered store): finds each open
/// batch whose requests have all finished, records its completion and publishes <see cref="BatchCompleted"/>.
/// </summary>
/// <remarks>
/// A sweep rather than a step in the saga's terminal transition, on purpose. In the saga's transaction (read
/// committed) the last two requests of a batch, finishing together, would each still see the other unfinished and
/// neither would complete the batch; making them see each other means locking the batch row in every terminal
/// transition of every request of the batch, a hot row on the request path. The sweep reads committed rows only and
/// stays off that path. Once per completion: the completion is recorded by an UPDATE conditional on the
/// completion_run it read, so of two sweeps one wins; the publish comes after that commit, and published_at after
/// the publish, so a crash between them re-publishes on the next pass with the same MessageId (the rule of request
/// outcomes: a subscriber deduplicating by MessageId sees it once). A batch with a callback URL gets its
/// <c>batch.completed</c> event in the transaction of that UPDATE: the event commits with the completion or not at all,
/// and since only the winner of the UPDATE writes one, one event per completion.
/// </remarks>
public sealed class BatchCompletionSweep(
    IServiceScopeFactory scopes,
    IBus bus,
    WriterGate writers,
    IOptions<CallbackOptions> callbacks,
    CallbackWakeups wakeups,
    TimeProvider clock,
    ILogger<BatchCompletionSweep> logger)
{
    /// <summary>A retried batch whose requests do not reopen within this long (the saga refused every retry) is no longer watched.</summary>
    static readonly TimeSpan ReopenWatch = TimeSpan.FromMinutes(10);

    const int PassSize = 200;

    /// <summary>One pass; a failure is logged and the next pass tries again.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SweepAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.BatchSweepFailed(exception);
        }
    }

    /// <summary>One pass; returns the completions it published.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        var open = await db.Batches.AsNoTracking()
            .Where(x => x.CompletedAt == null || x.PublishedAt == null || x.ReopenedAt != null)
            .OrderBy(x => x.CreatedAt).Take(PassSize).ToListAsync(cancellationToken);
        if (open.Count == 0)
            return 0;
        var progress = await BatchProgress.ReadAsync(db, open.Select(b => b.Id).ToList(), cancellationToken);

        var published = 0;
        foreach (var batch in open)
        {
            var view = BatchView.From(batch, progress[batch.Id]);
            var run = batch.CompletionRun;
            var due = batch.CompletedAt is not null && batch.PublishedAt is null;
            if (view.State != BatchView.InProgress)
            {
                var last = view.CompletedAt!.Value;
                if (batch.CompletedAt is null || (batch.ReopenedAt is not null && last > batch.CompletedAt))
                {
                    var won = await RecordCompletionAsync(db, batch, run, last, cancellationToken);
                    if (won)
                    {
                        run++;
                        due = true;
                        logger.BatchCompleted(batch.Id, run, batch.Total);
                    }
                }
                else if (batch.ReopenedAt is { } reopened && reopened < now - ReopenWatch)
                {
                    await db.Batches.Where(x => x.Id == batch.Id && x.ReopenedAt == reopened)
                        .ExecuteUpdateAsync(s => s.SetProperty(x => x.ReopenedAt, (DateTime?)null), cancellationToken);
                }
            }
            if (!due)
                continue;

            var counts = view.Counts;
            await bus.Publish(new BatchCompleted
            {
                BatchId = batch.Id,
                Completion = run,
                Total = batch.Total,
                Succeeded = counts[StateMachines.RequestStates.Succeeded],
                Failed = counts[StateMachines.RequestStates.Failed],
                Cancelled = counts[StateMachines.RequestStates.Cancelled],
                CompletedAt = new DateTimeOffset(view.CompletedAt ?? batch.CompletedAt ?? now, TimeSpan.Zero),
            }, p => p.MessageId = BatchIdentity.CompletionMessageId(batch.Id, run), cancellationToken);
            await db.Batches.Where(x => x.Id == batch.Id && x.CompletionRun == run && x.PublishedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.PublishedAt, now), cancellationToken);
            published++;
        }
        return published;
    }

    /// <summary>
    /// Records completion <paramref name="run"/> + 1 of the batch if no other sweep did (the UPDATE is conditional on the
    /// completion_run it read), with its callback event in the same transaction; returns whether this sweep won.
    /// </summary>
    async Task<bool> RecordCompletionAsync(OrchestratorDbContext db, BatchRecord batch, int run, DateTime last, CancellationToken cancellationToken)
    {
        using var turn = await writers.EnterAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var won = await db.Batches.Where(x => x.Id == batch.Id && x.CompletionRun == run)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.CompletedAt, last)
                .SetProperty(x => x.CompletionRun, run + 1)
                .SetProperty(x => x.PublishedAt, (DateTime?)null)
                .SetProperty(x => x.ReopenedAt, (DateTime?)null), cancellationToken);
        if (won != 1)
            return false;
        var queued = false;
        if (batch.CallbackUrl is { } url)
        {
            // The URL was admitted under the configuration of its time; it must still pass (an allowlist may have shrunk).
            if (CallbackGate.Problem(url, callbacks.Value) is { } problem)
            {
                logger.BatchCallbackNotQueued(batch.Id, problem);
            }
            else
            {
                // Read again after the UPDATE, in its transaction: the body is the batch as GET shows it once this commits.
                var recorded = await db.Batches.AsNoTracking().SingleAsync(x => x.Id == batch.Id, cancellationToken);
                var progress = await BatchProgress.ReadAsync(db, [batch.Id], cancellationToken);
                var now = clock.GetUtcNow().UtcDateTime;
                var type = CallbackEventTypes.BatchCompleted;
                db.CallbackEvents.Add(CallbackEvent.Create(BatchIdentity.CompletionEventId(recorded, run + 1), BatchIdentity.CallbackKey(batch.Id), batch.Id,
                    type, url, CallbackOutbox.Body(type, now, BatchView.From(recorded, progress[batch.Id])), now, callbacks.Value));
                await db.SaveChangesAsync(cancellationToken);
                queued = true;
            }
        }
        await tx.CommitAsync(cancellationToken);
        if (queued)
            wakeups.Signal();
        return true;
    }
}
