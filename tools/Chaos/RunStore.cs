using Npgsql;

namespace Orchestrator.Chaos;

/// <summary>Reads the run's requests straight from the database, as an auditor would.</summary>
public sealed class RunStore(string connectionString, string idPrefix)
{
    public string ConnectionString => connectionString;

    public async Task<Dictionary<string, RequestRow>> RowsAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT r.request_id, r.state, r.attempt,
                   (SELECT COUNT(*) FROM inference_attempts a WHERE a.correlation_id = r.correlation_id),
                   r.completed_at,
                   (r.next_attempt_at IS NOT NULL OR r.retry_token IS NOT NULL OR r.retry_claimed_at IS NOT NULL OR r.attempt_timeout_at IS NOT NULL),
                   r.created_at
            FROM inference_requests r WHERE r.request_id LIKE @prefix
            """, connection);
        command.Parameters.AddWithValue("prefix", idPrefix + "%");
        var rows = new Dictionary<string, RequestRow>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new RequestRow(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTime>(4), reader.GetBoolean(5), reader.GetFieldValue<DateTime>(6));
            rows[row.RequestId] = row;
        }
        return rows;
    }

    /// <summary>Request ids with more than one saga, hot or archived (the unique key should make it impossible).</summary>
    public async Task<long> DuplicateSagasAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT COUNT(*) FROM (
              SELECT request_id FROM (
                SELECT request_id FROM inference_requests WHERE request_id LIKE @prefix
                UNION ALL SELECT request_id FROM inference_requests_archive WHERE request_id LIKE @prefix) s
              GROUP BY request_id HAVING COUNT(*) > 1) d
            """, connection);
        command.Parameters.AddWithValue("prefix", idPrefix + "%");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Attempts by outcome and cause, for the report.</summary>
    public async Task<string> AttemptSummaryAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT a.outcome || COALESCE('/' || a.cause, ''), COUNT(*) FROM inference_attempts a
            JOIN inference_requests r USING (correlation_id) WHERE r.request_id LIKE @prefix
            GROUP BY 1 ORDER BY 2 DESC
            """, connection);
        command.Parameters.AddWithValue("prefix", idPrefix + "%");
        var parts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            parts.Add($"{reader.GetString(0)}={reader.GetInt64(1)}");
        return string.Join(", ", parts);
    }

    /// <summary>Attempts that ended in the window abandoned (their worker stopped) or timed out.</summary>
    public Task<long> AbandonedOrTimedOutAsync(DateTime from, DateTime to) => CountAsync("""
        SELECT COUNT(*) FROM inference_attempts a JOIN inference_requests r USING (correlation_id)
        WHERE r.request_id LIKE @prefix AND a.finished_at BETWEEN @from AND @to AND (a.outcome = 'TimedOut' OR a.cause = 'abandoned')
        """, ("from", from), ("to", to));

    /// <summary>Attempts whose command the broker did not confirm, decided in the window (the next attempt went instead).</summary>
    public Task<long> UnconfirmedAsync(DateTime from, DateTime to) => CountAsync("""
        SELECT COUNT(*) FROM inference_attempts a JOIN inference_requests r USING (correlation_id)
        WHERE r.request_id LIKE @prefix AND a.finished_at BETWEEN @from AND @to AND a.cause = 'dispatch-unconfirmed'
        """, ("from", from), ("to", to));

    /// <summary>Attempts started in the window that ended timed out or with a 503 from the model.</summary>
    public Task<long> FailedByModelAsync(DateTime from, DateTime to) => CountAsync("""
        SELECT COUNT(*) FROM inference_attempts a JOIN inference_requests r USING (correlation_id)
        WHERE r.request_id LIKE @prefix AND a.started_at BETWEEN @from AND @to AND a.cause IN ('timeout', 'http-503')
        """, ("from", from), ("to", to));

    /// <summary>One request's attempts, in order: number, outcome/cause, worker, start, duration, reason.</summary>
    public async Task<List<string>> HistoryAsync(string requestId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT a.attempt, a.outcome || COALESCE('/' || a.cause, ''), COALESCE(a.worker_id, '-'), a.started_at, a.finished_at, COALESCE(a.reason, '')
            FROM inference_attempts a JOIN inference_requests r USING (correlation_id) WHERE r.request_id = @id ORDER BY a.attempt
            """, connection);
        command.Parameters.AddWithValue("id", requestId);
        var history = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var started = reader.IsDBNull(3) ? (DateTime?)null : reader.GetFieldValue<DateTime>(3);
            var finished = reader.IsDBNull(4) ? (DateTime?)null : reader.GetFieldValue<DateTime>(4);
            var took = started is not null && finished is not null ? $"{(finished.Value - started.Value).TotalSeconds:0.0} s" : "-";
            var reason = reader.GetString(5);
            history.Add($"#{reader.GetInt32(0)} {reader.GetString(1)} on {reader.GetString(2)} at {started:HH:mm:ss.f} took {took}{(reason.Length > 0 ? ": " + (reason.Length > 160 ? reason[..160] : reason) : "")}");
        }
        return history;
    }

    async Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("prefix", idPrefix + "%");
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
