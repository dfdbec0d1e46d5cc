using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Orchestrator.Bench.Floors;

/// <summary>
/// The PostgreSQL floor: the shape of one saga lifecycle with nothing else around it. Insert a row (version 0), then
/// two updates each checked against the version it read (optimistic concurrency), each statement its own commit
/// (3 commits per lifecycle, as when every saga event is its own message), on 16 connections with the server's
/// default synchronous_commit. Runs in a throwaway database that it drops afterwards.
/// </summary>
public static class PostgresFloor
{
    public static async Task<PostgresFloorResult> RunAsync(string adminConnectionString, int connections, TimeSpan duration, CancellationToken cancel)
    {
        var database = $"bench_floor_{Environment.ProcessId}";
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync(cancel);
        await Execute(admin, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", cancel);
        await Execute(admin, $"CREATE DATABASE {database}", cancel);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(adminConnectionString)
            {
                Database = database,
                MaxPoolSize = connections + 4,
                MinPoolSize = connections,
                NoResetOnClose = true,
            };
            await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
            await using (var setup = await source.OpenConnectionAsync(cancel))
            {
                await Execute(setup, """
                    CREATE TABLE saga_floor (
                        id uuid PRIMARY KEY, state text NOT NULL, version integer NOT NULL,
                        payload jsonb, updated_at timestamptz NOT NULL DEFAULT now())
                    """, cancel);
            }

            // One second of warm-up (prepared statements, pools, buffers), then the measured window.
            await RunWindowAsync(source, connections, TimeSpan.FromSeconds(1), cancel);
            return await RunWindowAsync(source, connections, duration, cancel);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Execute(admin, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", CancellationToken.None);
        }
    }

    static async Task<PostgresFloorResult> RunWindowAsync(NpgsqlDataSource source, int connections, TimeSpan duration, CancellationToken cancel)
    {
        using var window = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        window.CancelAfter(duration);
        var latencies = new List<double>[connections];
        long conflicts = 0;
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
        {
            latencies[i] = new List<double>(50_000);
            await using var connection = await source.OpenConnectionAsync(cancel);
            await using var insert = new NpgsqlCommand("INSERT INTO saga_floor (id, state, version, payload) VALUES ($1, 'Pending', 0, $2::jsonb)", connection);
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = """{"model":"sim","messages":[{"role":"user","content":"hello"}]}""" });
            await insert.PrepareAsync(cancel);
            await using var update = new NpgsqlCommand("UPDATE saga_floor SET state = $1, version = $2, updated_at = now() WHERE id = $3 AND version = $4", connection);
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
            await update.PrepareAsync(cancel);
            var one = new Stopwatch();
            while (!window.IsCancellationRequested)
            {
                one.Restart();
                var id = Guid.CreateVersion7();
                insert.Parameters[0].Value = id;
                await insert.ExecuteNonQueryAsync(cancel);
                foreach (var (state, version) in new[] { ("Processing", 1), ("Succeeded", 2) })
                {
                    update.Parameters[0].Value = state;
                    update.Parameters[1].Value = version;
                    update.Parameters[2].Value = id;
                    update.Parameters[3].Value = version - 1;
                    if (await update.ExecuteNonQueryAsync(cancel) != 1)
                        Interlocked.Increment(ref conflicts);
                }
                latencies[i].Add(one.Elapsed.TotalMilliseconds);
            }
        }, cancel)).ToArray();
        await Task.WhenAll(loops);
        var seconds = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).ToList();
        if (Interlocked.Read(ref conflicts) > 0)
            throw new InvalidOperationException($"PostgreSQL floor: {conflicts} version-checked updates matched no row; the floor would be wrong");
        return new PostgresFloorResult(
            connections, Math.Round(seconds, 2), all.Count, Math.Round(all.Count / seconds), Math.Round(all.Count * 3 / seconds),
            Percentiles.Of(all, 0.50), Percentiles.Of(all, 0.99));
    }

    static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancel)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancel);
    }
}

public sealed record PostgresFloorResult(
    int Connections, double Seconds, long Lifecycles, double LifecyclesPerSec, double CommitsPerSec, double? LifecycleP50Ms, double? LifecycleP99Ms);
