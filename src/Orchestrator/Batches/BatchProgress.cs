using Microsoft.EntityFrameworkCore;
using Orchestrator.Persistence;

namespace Orchestrator.Batches;

/// <summary>Counts by state of batches' requests, read from the request rows (indexed by batch id).</summary>
public static class BatchProgress
{
    public static async Task<IReadOnlyDictionary<string, BatchView.Progress>> ReadAsync(OrchestratorDbContext db, IReadOnlyCollection<string> batchIds,
        CancellationToken cancellationToken)
    {
        var rows = await db.Requests.AsNoTracking()
            .Where(x => x.BatchId != null && batchIds.Contains(x.BatchId))
            .GroupBy(x => new { x.BatchId, x.CurrentState })
            .Select(g => new { g.Key.BatchId, g.Key.CurrentState, Count = g.Count(), Last = g.Max(x => x.CompletedAt) })
            .ToListAsync(cancellationToken);
        return batchIds.ToDictionary(id => id, id =>
        {
            var mine = rows.Where(r => r.BatchId == id).ToList();
            return new BatchView.Progress(
                mine.GroupBy(r => r.CurrentState ?? StateMachines.RequestStates.Pending).ToDictionary(g => g.Key, g => g.Sum(r => r.Count)),
                mine.Max(r => r.Last));
        });
    }
}
