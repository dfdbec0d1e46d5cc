using Microsoft.EntityFrameworkCore;

namespace Orchestrator.Persistence;

/// <summary>Requests by state: one indexed GROUP BY, for the API, the state gauge and the demo.</summary>
public static class RequestCounts
{
    public static async Task<Dictionary<string, long>> ByStateAsync(OrchestratorDbContext db, CancellationToken cancellationToken)
    {
        var counts = await db.Requests.AsNoTracking().Where(x => x.CurrentState != null).GroupBy(x => x.CurrentState!)
            .Select(g => new { State = g.Key, Count = g.LongCount() }).ToListAsync(cancellationToken);
        return counts.ToDictionary(c => c.State, c => c.Count);
    }
}
