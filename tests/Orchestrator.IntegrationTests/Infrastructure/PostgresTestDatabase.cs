using Npgsql;

namespace Orchestrator.IntegrationTests.Infrastructure;

/// <summary>A throwaway PostgreSQL database per test class, dropped at the end.</summary>
public sealed class PostgresTestDatabase : IAsyncLifetime
{
    readonly string _name = $"orch_test_{Guid.NewGuid():N}"[..30];

    /// <summary>The owner role's connection: it creates the database and migrates it.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The runtime role's connection to the same database (rights granted by <c>orchestrator migrate</c>).</summary>
    public string AppConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await using var admin = new NpgsqlConnection(TestServers.PostgresOwner);
        await admin.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE DATABASE {_name}", admin))
            await create.ExecuteNonQueryAsync();
        ConnectionString = new NpgsqlConnectionStringBuilder(TestServers.PostgresOwner) { Database = _name, MaxPoolSize = 100 }.ToString();
        AppConnectionString = new NpgsqlConnectionStringBuilder(TestServers.PostgresApp) { Database = _name, MaxPoolSize = 100 }.ToString();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        // FORCE ends our own sessions, but not one of another role: an autovacuum worker busy on the database makes
        // the drop fail with 42501 for a moment. Wait it out; a throwaway database left behind harms nothing.
        try
        {
            await Eventually.Until(TryDropAsync, refusal => refusal is null, TimeSpan.FromSeconds(5), $"the test database {_name} dropped");
        }
        catch (TimeoutException left)
        {
            await Console.Error.WriteLineAsync($"left the test database {_name} behind: {left.Message}");
        }
    }

    /// <summary>Drops the database; null once it is gone, or why PostgreSQL refused for now.</summary>
    async Task<string?> TryDropAsync()
    {
        try
        {
            await using var admin = new NpgsqlConnection(TestServers.PostgresOwner);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
            return null;
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
        {
            return exception.MessageText;
        }
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
