using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
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

    /// <summary>
    /// <see cref="NumberAsync"/> for many new rows at once (a batch's chunk): one read of the archive for all of
    /// them where the store does not number rows itself.
    /// </summary>
    public static async Task NumberAllAsync(DbContext db, IReadOnlyList<InferenceRequestState> sagas, CancellationToken cancellationToken)
    {
        if (NumberedByStore(db) || sagas.Count == 0)
            return;
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var list = string.Join(", ", sagas.Select((_, i) => $"@id{i}"));
            await using var command = DbCommands.Create(connection, db.Database.CurrentTransaction?.GetDbTransaction(),
                $"SELECT request_id, MAX(generation) FROM inference_requests_archive WHERE request_id IN ({list}) GROUP BY request_id");
            for (var i = 0; i < sagas.Count; i++)
                command.With($"@id{i}", sagas[i].RequestId);
            var archived = new Dictionary<string, int>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    archived[reader.GetString(0)] = reader.GetInt32(1);
            }
            foreach (var saga in sagas)
                saga.Generation = archived.GetValueOrDefault(saga.RequestId) + 1;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The store numbers a new row in its INSERT (PostgreSQL).</summary>
    public static bool NumberedByStore(DbContext db) => db.Database.ProviderName == OrchestratorDbContext.PostgresProvider;
}
