using Npgsql;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.Persistence;

/// <summary>
/// <c>orchestrator migrate</c> runs as the owner and creates every table, Quartz's included; the runtime role it
/// grants may read and write every one of them and change none.
/// </summary>
public sealed class When_the_runtime_role_is_not_the_owner : IAsyncLifetime
{
    readonly PostgresTestDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Should_let_the_runtime_role_use_every_table_and_alter_none()
    {
        await using (var migrate = ChildProcess.Start("migrate", RepoPaths.Orchestrator, ["migrate"], new Dictionary<string, string>
        {
            ["Orchestrator__Store"] = "Postgres",
            ["ConnectionStrings__Postgres"] = _database.AppConnectionString,
            ["ConnectionStrings__PostgresMigrations"] = _database.ConnectionString,
        }))
        {
            var code = await migrate.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.True(code == 0, migrate.Output);
        }

        await using var app = new NpgsqlConnection(_database.AppConnectionString);
        await app.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", app))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        }
        Assert.Contains("inference_requests", tables);
        Assert.Contains("dead_letters", tables);
        Assert.Contains(tables, t => t.StartsWith("qrtz_", StringComparison.OrdinalIgnoreCase));

        foreach (var table in tables)
        {
            // Reading and a write that touches nothing: both need the grants, neither changes data.
            await using (var read = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\"", app))
                await read.ExecuteScalarAsync();
            await using (var write = new NpgsqlCommand($"DELETE FROM \"{table}\" WHERE false", app))
                await write.ExecuteNonQueryAsync();
        }
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO dead_letters (received_at, queue, source_queue, kind, reason, headers, body) VALUES (now(), 'q_error', 'q', 'error', 'test', '{}', '\\x00') RETURNING id", app))
        {
            var id = (long)(await insert.ExecuteScalarAsync())!;
            await using var back = new NpgsqlCommand($"SELECT reason FROM dead_letters WHERE id = {id}", app);
            Assert.Equal("test", await back.ExecuteScalarAsync());
        }

        foreach (var ddl in new[]
                 {
                     "CREATE TABLE sneaky (x int)",
                     "ALTER TABLE inference_requests ADD COLUMN sneaky int",
                     "DROP TABLE dead_letters",
                     "CREATE INDEX sneaky ON inference_requests (model)",
                     "TRUNCATE inference_attempts",
                 })
        {
            await using var command = new NpgsqlCommand(ddl, app);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.True(refused.SqlState is PostgresErrorCodes.InsufficientPrivilege, $"{ddl}: {refused.SqlState} {refused.MessageText}");
        }
    }
}
