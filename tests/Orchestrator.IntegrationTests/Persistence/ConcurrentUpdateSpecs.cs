using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestrator.IntegrationTests.Infrastructure;
using Orchestrator.Sagas.EntityFrameworkCore;

namespace Orchestrator.IntegrationTests.Persistence;

/// <summary>
/// Concurrent events on one saga, from two independent buses (as two orchestrator processes would be), through our
/// repository: the version check turns every race into a retry, so no increment is lost.
/// </summary>
public sealed class When_events_race_on_one_saga(PostgresTestDatabase database) : IClassFixture<PostgresTestDatabase>
{
    [Fact]
    public async Task Should_lose_no_update_on_PostgreSQL()
    {
        await database.ExecuteAsync(CounterDbContext.PostgresDdl);
        var count = await IncrementConcurrently(db => db.UseNpgsql(database.ConnectionString), 60, gated: false, async id =>
            await database.ScalarAsync<int>($"SELECT count FROM test_counters WHERE correlation_id = '{id}'"));
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
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "c.db"), DefaultTimeout = 30 }.ToString();
        try
        {
            await using (var connection = new SqliteConnection(connectionString))
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA journal_mode=WAL; " + CounterDbContext.SqliteDdl;
                await command.ExecuteNonQueryAsync();
            }
            var count = await IncrementConcurrently(db => db.UseSqlite(connectionString), 30, gated, async id =>
            {
                await using var connection = new SqliteConnection(connectionString);
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT count FROM test_counters WHERE correlation_id = '{id.ToString().ToUpperInvariant()}'";
                return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            });
            Assert.Equal(60, count);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    static async Task<int> IncrementConcurrently(Action<DbContextOptionsBuilder> store, int perBus, bool gated, Func<Guid, Task<int>> read)
    {
        var id = Guid.NewGuid();
        var a = await StartBus(store, gated ? WriterGate.SingleWriter() : WriterGate.Open);
        var b = await StartBus(store, gated ? WriterGate.SingleWriter() : WriterGate.Open);
        try
        {
            var sends = Enumerable.Range(0, perBus).SelectMany(_ => new[]
            {
                a.Services.GetRequiredService<IBus>().Publish(new CounterIncremented(id)),
                b.Services.GetRequiredService<IBus>().Publish(new CounterIncremented(id)),
            });
            await Task.WhenAll(sends);
            return await Eventually.Until(async () =>
            {
                try
                {
                    return await read(id);
                }
                catch (NullReferenceException)
                {
                    return 0; // row not inserted yet
                }
                catch (InvalidCastException)
                {
                    return 0;
                }
            }, c => c >= perBus * 2, TimeSpan.FromSeconds(60), "all increments applied");
        }
        finally
        {
            await a.StopAsync();
            await b.StopAsync();
            a.Dispose();
            b.Dispose();
        }
    }

    static async Task<IHost> StartBus(Action<DbContextOptionsBuilder> store, WriterGate writers)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        builder.Services.AddDbContext<CounterDbContext>(db =>
        {
            store(db);
            db.AddInterceptors(SagaVersionInterceptor.Instance);
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
}
