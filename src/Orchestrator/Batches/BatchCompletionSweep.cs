using MassTransit;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Contracts;
using Orchestrator.Persistence;

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
/// outcomes: a subscriber deduplicating by MessageId sees it once).
/// </remarks>
public sealed class BatchCompletionSweep(IServiceScopeFactory scopes, IBus bus, TimeProvider clock, ILogger<BatchCompletionSweep> logger)
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
                    var won = await db.Batches.Where(x => x.Id == batch.Id && x.CompletionRun == run)
                        .ExecuteUpdateAsync(s => s
                            .SetProperty(x => x.CompletedAt, last)
                            .SetProperty(x => x.CompletionRun, run + 1)
                            .SetProperty(x => x.PublishedAt, (DateTime?)null)
                            .SetProperty(x => x.ReopenedAt, (DateTime?)null), cancellationToken);
                    if (won == 1)
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
}
