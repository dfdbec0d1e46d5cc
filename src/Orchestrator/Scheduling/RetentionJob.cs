using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Persistence;
using Orchestrator.Sagas.EntityFrameworkCore;
using Quartz;

namespace Orchestrator.Scheduling;

/// <summary>
/// Moves finished requests past the dedupe window, with their attempts, from the hot tables to the archives, in
/// batches, one transaction each (a clustered Quartz job: one node at a time). The hot table stays the size of the
/// window; an archived id may be submitted again and runs as its next generation.
/// </summary>
[DisallowConcurrentExecution]
public sealed partial class RetentionJob(
    IServiceScopeFactory scopes,
    StoreSettings store,
    WriterGate writers,
    TimeProvider clock,
    IOptions<RetentionOptions> options,
    ILogger<RetentionJob> logger) : IJob
{
    public static readonly JobKey Key = new("retention", "orchestrator");

    // SKIP LOCKED: a saga handling a late event of one of these rows is not waited for; it is taken next time.
    const string PostgresSelect = """
        SELECT correlation_id FROM inference_requests
        WHERE state IN ('Succeeded', 'Failed', 'Cancelled') AND completed_at < @cutoff
        ORDER BY completed_at LIMIT @batch FOR UPDATE SKIP LOCKED
        """;

    const string SqliteSelect = """
        SELECT correlation_id FROM inference_requests
        WHERE state IN ('Succeeded', 'Failed', 'Cancelled') AND completed_at < @cutoff
        ORDER BY completed_at LIMIT @batch
        """;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var total = 0;
        int moved;
        do
        {
            moved = await ArchiveBatchAsync(settings, cancellationToken);
            total += moved;
        }
        while (moved == settings.BatchSize && !cancellationToken.IsCancellationRequested);
        if (total > 0)
            Archived(logger, total);
    }

    /// <summary>Archives one batch; returns how many requests moved.</summary>
    public async Task<int> ArchiveBatchAsync(RetentionOptions settings, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            using var turn = await writers.EnterAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            var ids = new List<object>();
            await using (var select = DbCommands.Create(connection, tx, store.Kind == StoreKind.Postgres ? PostgresSelect : SqliteSelect)
                .With("@cutoff", now - settings.KeepTerminalFor)
                .With("@batch", settings.BatchSize))
            {
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    ids.Add(reader.GetValue(0));
            }
            if (ids.Count == 0)
                return 0;

            var list = string.Join(", ", ids.Select((_, i) => $"@id{i}"));
            var archivedAt = store.Kind == StoreKind.Postgres ? "now()" : "@now";
            // Columns by name, from the model: the archives mirror the hot tables, in whatever order they grew.
            var requestColumns = Columns<StateMachines.InferenceRequestState>(db);
            var attemptColumns = Columns<StateMachines.AttemptRecord>(db);
            foreach (var sql in new[]
            {
                $"INSERT INTO inference_attempts_archive ({attemptColumns}, generation) SELECT {Prefixed("a", attemptColumns)}, r.generation FROM inference_attempts a JOIN inference_requests r ON r.correlation_id = a.correlation_id WHERE r.correlation_id IN ({list})",
                $"INSERT INTO inference_requests_archive ({requestColumns}, archived_at) SELECT {Prefixed("r", requestColumns)}, {archivedAt} FROM inference_requests r WHERE r.correlation_id IN ({list})",
                // The attempts go with their request (ON DELETE CASCADE); deleted explicitly too, for SQLite
                // connections that do not enforce foreign keys.
                $"DELETE FROM inference_attempts WHERE correlation_id IN ({list})",
                $"DELETE FROM inference_requests WHERE correlation_id IN ({list})",
            })
            {
                await using var command = DbCommands.Create(connection, tx, sql).With("@now", now);
                for (var i = 0; i < ids.Count; i++)
                    command.With($"@id{i}", ids[i]);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            await tx.CommitAsync(cancellationToken);
            return ids.Count;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    static string Columns<T>(DbContext db) =>
        string.Join(", ", db.Model.FindEntityType(typeof(T))!.GetProperties().Select(p => p.GetColumnName()));

    static string Prefixed(string alias, string columns) =>
        string.Join(", ", columns.Split(", ").Select(c => $"{alias}.{c}"));



    [LoggerMessage(3103, LogLevel.Information, "Retention: {Count} finished requests moved to the archive")]
    static partial void Archived(ILogger logger, int count);
}
