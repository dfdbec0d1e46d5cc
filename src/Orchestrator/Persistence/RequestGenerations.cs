using Microsoft.EntityFrameworkCore;
using Orchestrator.StateMachines;

namespace Orchestrator.Persistence;

/// <summary>
/// An id archived after its dedupe window runs again as the next generation, so that its outcome gets a new
/// MessageId. Numbered wherever a new saga row is written: the API's insert, and the saga repository's for the bus.
/// </summary>
public static class RequestGenerations
{
    /// <summary>
    /// Numbers <paramref name="saga"/> before its INSERT where the store does not: PostgreSQL's insert trigger
    /// (migration 0013) numbers the row itself and returns the number, sparing each submission a round trip;
    /// SQLite reads the archive here.
    /// </summary>
    public static async Task NumberAsync(DbContext db, InferenceRequestState saga, CancellationToken cancellationToken)
    {
        if (NumberedByStore(db))
            return;
        var requestId = saga.RequestId;
        var archived = await db.Database
            .SqlQuery<int>($"SELECT COALESCE(MAX(generation), 0) AS \"Value\" FROM inference_requests_archive WHERE request_id = {requestId}")
            .SingleAsync(cancellationToken);
        saga.Generation = archived + 1;
    }

    /// <summary>The store numbers a new row in its INSERT (PostgreSQL).</summary>
    public static bool NumberedByStore(DbContext db) => db.Database.ProviderName == OrchestratorDbContext.PostgresProvider;
}
