using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.IntegrationTests.Infrastructure;
using Orchestrator.Sagas.EntityFrameworkCore;

namespace Orchestrator.IntegrationTests.Persistence;

/// <summary>
/// Concurrent events on one saga, from two independent buses (as two orchestrator processes would be), through our
/// repository: the version check turns every race into a retry, so no increment is lost. First a race forced
/// deterministically (one writer held between its read and its write while the other commits), counting the
/// conflict and the retry; then many increments at once, counting the result.
/// </summary>
public sealed class When_events_race_on_one_saga(PostgresTestDatabase database) : IClassFixture<PostgresTestDatabase>
{
    [Fact]
    public async Task Should_detect_the_conflict_of_a_stale_write_and_retry_it_on_PostgreSQL()
    {
        await database.ExecuteAsync(CounterDbContext.PostgresDdl);
        await ForceConflict(db => db.UseNpgsql(database.ConnectionString), WriterGate.Open, async id =>
            await database.ScalarAsync<int?>($"SELECT count FROM test_counters WHERE correlation_id = '{id}'") ?? 0);
    }

    /// <summary>The embedded mode's way: each bus reads outside any transaction and writes late, behind its own gate.</summary>
    [Fact]
    public async Task Should_detect_the_conflict_of_a_stale_write_and_retry_it_on_SQLite_behind_writer_gates()
    {
        var directory = Directory.CreateTempSubdirectory("orch-conflict-").FullName;
        var connectionString = await CreateSqliteCounters(directory);
        try
        {
            await ForceConflict(db => db.UseSqlite(connectionString), WriterGate.SingleWriter(), id => ReadSqlite(connectionString, id));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Bus A reads the row and changes it, then waits; bus B increments the same row and commits; A writes what it
    /// read. Its version check fails, the message runs again on the committed row, and both increments count.
    /// </summary>
    static async Task ForceConflict(Action<DbContextOptionsBuilder> store, WriterGate gate, Func<Guid, Task<int>> read)
    {
        var id = Guid.NewGuid();
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var heldTries = new List<int>();
        var hooks = new CounterHooks
        {
            BeforeSave = async c =>
            {
                if (c.Message.Tag != "held")
                    return;
                lock (heldTries)
                    heldTries.Add(c.GetRetryAttempt());
                if (c.GetRetryAttempt() == 0)
                {
                    holding.SetResult();
                    await release.Task;
                }
            },
        };
        var conflictsA = new ConflictCounter();
        var conflictsB = new ConflictCounter();
        var a = await StartBus(store, gate, hooks, conflictsA);
        var b = await StartBus(store, gate == WriterGate.Open ? WriterGate.Open : WriterGate.SingleWriter(), null, conflictsB);
        var timeout = TimeSpan.FromSeconds(30);
        try
        {
            await a.Services.GetRequiredService<IBus>().Publish(new CounterIncremented(id));
            await Eventually.Until(() => read(id), c => c == 1, timeout, "the counter created");

            await a.Services.GetRequiredService<IBus>().Publish(new CounterIncremented(id, "held"));
            await holding.Task.WaitAsync(timeout);
            await b.Services.GetRequiredService<IBus>().Publish(new CounterIncremented(id));
            await Eventually.Until(() => read(id), c => c == 2, timeout, "bus B's increment committed while A holds its stale copy");
            release.SetResult();

            Assert.Equal(3, await Eventually.Until(() => read(id), c => c >= 3, timeout, "bus A's increment applied"));
            Assert.Equal(1, conflictsA.Conflicts);
            Assert.Equal(0, conflictsB.Conflicts);
            lock (heldTries)
                Assert.Equal([0, 1], heldTries);
        }
        finally
        {
            release.TrySetResult();
            await a.StopAsync();
            await b.StopAsync();
            a.Dispose();
            b.Dispose();
        }
    }

    [Fact]
    public async Task Should_lose_no_update_on_PostgreSQL()
    {
        await database.ExecuteAsync(CounterDbContext.PostgresDdl);
        var count = await IncrementConcurrently(db => db.UseNpgsql(database.ConnectionString), 60, gated: false, async id =>
            await database.ScalarAsync<int?>($"SELECT count FROM test_counters WHERE correlation_id = '{id}'") ?? 0);
        Assert.Equal(120, count);
    }

    [Fact]
    public Task Should_lose_no_update_on_SQLite() => SqliteCounter(gated: false);

    /// <summary>
    /// With the embedded mode's writer gate each message reads outside any transaction and writes in a short one at
    /// the end, so the races move from SQLite's lock to the version check; two buses with a gate each also race
    /// through SQLite's lock, as an orchestrator and a CLI on one file would.
    /// </summary>
    [Fact]
    public Task Should_lose_no_update_on_SQLite_when_each_message_writes_late_behind_a_writer_gate() => SqliteCounter(gated: true);

    static async Task SqliteCounter(bool gated)
    {
        var directory = Directory.CreateTempSubdirectory("orch-counter-").FullName;
        var connectionString = await CreateSqliteCounters(directory);
        try
        {
            var count = await IncrementConcurrently(db => db.UseSqlite(connectionString), 30, gated, id => ReadSqlite(connectionString, id));
            Assert.Equal(60, count);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    static async Task<string> CreateSqliteCounters(string directory)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "c.db"), DefaultTimeout = 30 }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; " + CounterDbContext.SqliteDdl;
        await command.ExecuteNonQueryAsync();
        return connectionString;
    }

    /// <summary>The counter's value, 0 before its row exists.</summary>
    static async Task<int> ReadSqlite(string connectionString, Guid id)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count FROM test_counters WHERE correlation_id = '{id.ToString().ToUpperInvariant()}'";
        return await command.ExecuteScalarAsync() is { } value and not DBNull ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    static async Task<int> IncrementConcurrently(Action<DbContextOptionsBuilder> store, int perBus, bool gated, Func<Guid, Task<int>> read)
    {
        var id = Guid.NewGuid();
        var a = await StartBus(store, gated ? WriterGate.SingleWriter() : WriterGate.Open, null, null);
        var b = await StartBus(store, gated ? WriterGate.SingleWriter() : WriterGate.Open, null, null);
        try
        {
            var sends = Enumerable.Range(0, perBus).SelectMany(_ => new[]
            {
                a.Services.GetRequiredService<IBus>().Publish(new CounterIncremented(id)),
                b.Services.GetRequiredService<IBus>().Publish(new CounterIncremented(id)),
            });
            await Task.WhenAll(sends);
            return await Eventually.Until(() => read(id), c => c >= perBus * 2, TimeSpan.FromSeconds(60), "all increments applied");
        }
        finally
        {
            await a.StopAsync();
            await b.StopAsync();
            a.Dispose();
            b.Dispose();
        }
    }

    static async Task<IHost> StartBus(Action<DbContextOptionsBuilder> store, WriterGate writers, CounterHooks? hooks, ConflictCounter? conflicts)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        if (hooks is not null)
            builder.Services.AddSingleton(hooks);
        builder.Services.AddDbContext<CounterDbContext>(db =>
        {
            store(db);
            db.AddInterceptors(SagaVersionInterceptor.Instance);
            if (conflicts is not null)
                db.AddInterceptors(conflicts);
        });
        builder.Services.AddMassTransit(x =>
        {
            x.AddSagaStateMachine<CounterStateMachine, CounterState, CounterStateDefinition>()
                .EntityFrameworkRepository<CounterState, CounterDbContext>(r => r.Writers = writers);
            x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
        });
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Counts the saves that failed their version check.</summary>
    sealed class ConflictCounter : SaveChangesInterceptor
    {
        int _conflicts;

        public int Conflicts => Volatile.Read(ref _conflicts);

        public override InterceptionResult ThrowingConcurrencyException(ConcurrencyExceptionEventData eventData, InterceptionResult result)
        {
            Interlocked.Increment(ref _conflicts);
            return result;
        }

        public override ValueTask<InterceptionResult> ThrowingConcurrencyExceptionAsync(ConcurrencyExceptionEventData eventData, InterceptionResult result,
            CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _conflicts);
            return ValueTask.FromResult(result);
        }
    }
}
