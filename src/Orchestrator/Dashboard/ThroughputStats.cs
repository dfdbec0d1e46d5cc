using Microsoft.EntityFrameworkCore;
using Orchestrator.Persistence;

namespace Orchestrator.Dashboard;

/// <summary>
/// Finished requests per minute since a start time, grouped in the database (one indexed range scan over
/// <c>inference_requests_completed</c>, however many rows the hour holds). Each store spells minute arithmetic its own way.
/// </summary>
public static class ThroughputStats
{
    public static Task<List<MinuteCount>> PerMinuteAsync(OrchestratorDbContext db, DateTime start, CancellationToken cancellationToken) =>
        db.Database.IsNpgsql()
            ? db.Database.SqlQuery<MinuteCount>($"""
                SELECT CAST(floor(extract(epoch FROM (completed_at - {start})) / 60) AS integer) AS "Minute",
                       state AS "State", CAST(count(*) AS integer) AS "Count"
                FROM inference_requests
                WHERE state IN ('Succeeded', 'Failed', 'Cancelled') AND completed_at >= {start}
                GROUP BY 1, 2
                """).ToListAsync(cancellationToken)
            : db.Database.SqlQuery<MinuteCount>($"""
                SELECT CAST((julianday(completed_at) - julianday({start})) * 1440 AS INTEGER) AS "Minute",
                       state AS "State", COUNT(*) AS "Count"
                FROM inference_requests
                WHERE state IN ('Succeeded', 'Failed', 'Cancelled') AND completed_at >= {start}
                GROUP BY 1, 2
                """).ToListAsync(cancellationToken);
}

/// <summary>One row of <see cref="ThroughputStats"/>: minutes since the start, terminal state, requests.</summary>
public sealed class MinuteCount
{
    public int Minute { get; set; }
    public string State { get; set; } = "";
    public int Count { get; set; }
}
