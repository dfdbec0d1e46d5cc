using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Orchestrator.IntegrationTests.Infrastructure;

/// <summary>
/// The production shape as separate OS processes on a fresh PostgreSQL database and the real RabbitMQ: a simulated
/// model, any number of orchestrators and workers, each of which a test may kill (SIGKILL) and start again. The
/// schema is applied by <c>orchestrator migrate</c>, as an operator would.
/// </summary>
public sealed class ProductionCluster : IAsyncDisposable
{
    readonly PostgresTestDatabase _database = new();
    readonly Dictionary<string, ChildProcess> _orchestrators = [];
    readonly Dictionary<string, ChildProcess> _workers = [];
    readonly List<ChildProcess> _all = [];
    readonly Dictionary<string, string> _orchestratorEnvironment;
    readonly Dictionary<string, int> _orchestratorPorts = [];
    readonly Dictionary<string, int> _workerPorts = [];
    ChildProcess? _sim;

    readonly IReadOnlyDictionary<string, string> _workerSettings;

    ProductionCluster(IReadOnlyDictionary<string, string>? orchestratorSettings, IReadOnlyDictionary<string, string>? workerSettings)
    {
        _orchestratorEnvironment = new Dictionary<string, string>(orchestratorSettings ?? new Dictionary<string, string>());
        _workerSettings = workerSettings ?? new Dictionary<string, string>();
    }

    /// <summary>The key <see cref="Api"/> sends; it holds both scopes.</summary>
    public const string ApiKey = "cluster-tests-key-0123456789";

    public PostgresTestDatabase Database => _database;
    public Uri SimulatedModelUrl { get; private set; } = null!;
    public HttpClient Api { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
    public HttpClient Sim { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public string Diagnostics => string.Join("\n", _all.Select(p => $"--- {p.Name} (pid {p.Pid}{(p.HasExited ? ", exited" : "")}) ---\n{Tail(p.Output)}"));

    static string Tail(string text) => text.Length > 6000 ? text[^6000..] : text;

    /// <summary>Everything every process of the cluster wrote, untruncated.</summary>
    public string Output => string.Join("\n", _all.Select(p => p.Output));

    /// <param name="orchestrators">Orchestrator processes on the same database and broker.</param>
    /// <param name="workers">Worker processes, competing consumers of one queue.</param>
    /// <param name="orchestratorSettings">Extra environment for every orchestrator, e.g. <c>Orchestrator__Timeouts__StartToCloseTimeout</c>.</param>
    /// <param name="workerSettings">Extra environment for every worker; it overrides the defaults below (e.g. turns breakers on).</param>
    /// <param name="modelUrl">A model server the test runs itself (to read its call log); null starts the simulated model as a process.</param>
    public static async Task<ProductionCluster> StartAsync(int orchestrators = 1, int workers = 1, IReadOnlyDictionary<string, string>? orchestratorSettings = null,
        IReadOnlyDictionary<string, string>? workerSettings = null, Uri? modelUrl = null)
    {
        var cluster = new ProductionCluster(orchestratorSettings, workerSettings);
        try
        {
            await cluster.InitializeAsync(orchestrators, workers, modelUrl);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    async Task InitializeAsync(int orchestrators, int workers, Uri? modelUrl)
    {
        await _database.InitializeAsync();
        _orchestratorEnvironment["Orchestrator__Store"] = "Postgres";
        _orchestratorEnvironment["Orchestrator__Transport"] = "RabbitMQ";
        _orchestratorEnvironment["Orchestrator__EmbeddedWorkers"] = "false";
        _orchestratorEnvironment["Orchestrator__SimulatedModel"] = "false";
        // As in production: the processes run as the DML-only role; `migrate` runs as the owner and grants it.
        _orchestratorEnvironment["ConnectionStrings__Postgres"] = _database.AppConnectionString;
        _orchestratorEnvironment["ConnectionStrings__PostgresMigrations"] = _database.ConnectionString;
        _orchestratorEnvironment.TryAdd("ConnectionStrings__RabbitMQ", TestServers.RabbitMq);
        // Not embedded, so API keys are required: one key that may do everything, sent by Api.
        _orchestratorEnvironment.TryAdd("Orchestrator__Api__Keys__0__Name", "cluster-tests");
        _orchestratorEnvironment.TryAdd("Orchestrator__Api__Keys__0__Key", ApiKey);
        _orchestratorEnvironment.TryAdd("Orchestrator__Api__Keys__0__Scopes", "submit,operate");
        Api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);

        if (modelUrl is not null)
        {
            SimulatedModelUrl = modelUrl;
        }
        else
        {
            SimulatedModelUrl = new Uri($"http://127.0.0.1:{ChildProcess.FreePort()}/");
            _sim = Track(ChildProcess.Start("simulated-model", RepoPaths.SimulatedModel, ["--urls", SimulatedModelUrl.ToString()], new Dictionary<string, string>()));
            await _sim.WaitUntilHealthyAsync(new Uri(SimulatedModelUrl, "health").ToString(), TimeSpan.FromSeconds(60));
        }
        Sim.BaseAddress = SimulatedModelUrl;

        await PurgeWorkQueuesAsync();

        await using (var migrate = ChildProcess.Start("migrate", RepoPaths.Orchestrator, ["migrate"], _orchestratorEnvironment))
        {
            var code = await migrate.WaitForExitAsync(TimeSpan.FromSeconds(60));
            if (code != 0)
                throw new InvalidOperationException($"migrate exited {code}:\n{migrate.Output}");
        }

        var starting = new List<Task>();
        for (var i = 1; i <= orchestrators; i++)
            starting.Add(StartOrchestratorAsync($"orchestrator-{i}"));
        for (var i = 1; i <= workers; i++)
            starting.Add(StartWorkerAsync($"worker-{i}"));
        await Task.WhenAll(starting);
        Api.BaseAddress = new Uri($"http://127.0.0.1:{_orchestratorPorts["orchestrator-1"]}/");
    }

    /// <summary>
    /// Every cluster shares the broker's fixed queue names: whatever an earlier test's processes left in the saga and
    /// worker queues (their own sagas' events, invokes nobody took) would otherwise be this cluster's first work.
    /// </summary>
    static async Task PurgeWorkQueuesAsync()
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(TestServers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        foreach (var queue in new[] { "inference-requests", "invoke-model" })
        {
            // A queue that does not exist yet closes the channel: one channel per queue.
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                await channel.QueuePurgeAsync(queue);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Not declared yet: nothing to purge.
            }
        }
    }

    /// <summary>Starts (or starts again, on the same port) an orchestrator and waits until it is ready.</summary>
    public async Task StartOrchestratorAsync(string name)
    {
        if (!_orchestratorPorts.TryGetValue(name, out var port))
            _orchestratorPorts[name] = port = ChildProcess.FreePort();
        var process = Track(ChildProcess.Start(name, RepoPaths.Orchestrator, ["--urls", $"http://127.0.0.1:{port}"], _orchestratorEnvironment));
        _orchestrators[name] = process;
        await process.WaitUntilHealthyAsync($"http://127.0.0.1:{port}/health/ready", TimeSpan.FromSeconds(90));
    }

    public async Task StartWorkerAsync(string name)
    {
        var port = ChildProcess.FreePort();
        _workerPorts[name] = port;
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__RabbitMQ"] = TestServers.RabbitMq,
            ["Workers__WorkerId"] = name,
            ["Workers__Models__sim__Endpoints__0__BaseUrl"] = SimulatedModelUrl.ToString(),
            // These tests script bursts of faults to drive retries and timers; a breaker would (rightly) open on them
            // and turn retries into circuit-open waits. The breaker has its own tests (When_the_primary_endpoint_fails).
            ["Workers__CircuitBreaker__Enabled"] = "false",
        };
        foreach (var (key, value) in _workerSettings)
            environment[key] = value;
        var process = Track(ChildProcess.Start(name, RepoPaths.Workers, ["--urls", $"http://127.0.0.1:{port}"], environment));
        _workers[name] = process;
        await process.WaitUntilHealthyAsync($"http://127.0.0.1:{port}/health/ready", TimeSpan.FromSeconds(90));
    }

    /// <summary>The base address of a worker's own HTTP endpoints (health, metrics).</summary>
    public Uri WorkerUrl(string name) => new($"http://127.0.0.1:{_workerPorts[name]}/");

    /// <summary>SIGKILL: no shutdown, no acknowledgements, exactly what a crash does.</summary>
    public async Task KillAsync(string name)
    {
        var process = _orchestrators.GetValueOrDefault(name) ?? _workers.GetValueOrDefault(name)
            ?? throw new ArgumentException($"no process named {name}", nameof(name));
        process.Kill();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(20));
    }

    ChildProcess Track(ChildProcess process)
    {
        _all.Add(process);
        return process;
    }

    public async Task SubmitAsync(string requestId, string text, object? extra = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["requestId"] = requestId,
            ["model"] = "sim",
            ["messages"] = new[] { new { role = "user", content = text } },
        };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
                body[property.Name] = property.Value;
        }
        using var response = await Api.PostAsJsonAsync("api/requests", body);
        if ((int)response.StatusCode != 202)
            throw new InvalidOperationException($"submit {requestId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task<string?> StateAsync(string requestId)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT state FROM inference_requests WHERE request_id = @id", connection);
        command.Parameters.AddWithValue("id", requestId);
        return await command.ExecuteScalarAsync() as string;
    }

    public Task<string?> WaitForStateAsync(string requestId, string state, TimeSpan timeout) =>
        Eventually.Until(() => StateAsync(requestId), s => s == state, timeout, $"{requestId} in {state}", () => Diagnostics);

    public async Task<long> CountAsync(string where)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT COUNT(*) FROM inference_requests WHERE {where}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The attempt rows of a request, in order.</summary>
    public async Task<IReadOnlyList<AttemptRow>> AttemptsAsync(string requestId)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT a.attempt, a.worker_id, a.started_at, a.finished_at, a.outcome, a.failure_kind, a.cause, a.http_status,
                   a.backoff_ms, a.scheduled_for, a.fired_at, a.retry_after_ms
            FROM inference_attempts a JOIN inference_requests r USING (correlation_id)
            WHERE r.request_id = @id ORDER BY a.attempt
            """, connection);
        command.Parameters.AddWithValue("id", requestId);
        var rows = new List<AttemptRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new AttemptRow(
                reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTime>(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTime>(3),
                reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt32(7), reader.IsDBNull(8) ? null : reader.GetInt64(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTime>(9), reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTime>(10),
                reader.IsDBNull(11) ? null : reader.GetInt64(11)));
        }
        return rows;
    }

    /// <summary>How many calls carrying this request id reached the simulated model.</summary>
    public async Task<long> ModelCallsAsync(string requestId)
    {
        using var doc = JsonDocument.Parse(await Sim.GetStringAsync(new Uri($"stats/requests/{requestId}", UriKind.Relative)));
        return doc.RootElement.GetProperty("calls").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _all)
            await process.DisposeAsync();
        Api.Dispose();
        Sim.Dispose();
        await _database.DisposeAsync();
    }
}

public sealed record AttemptRow(
    int Attempt, string? WorkerId, DateTime? StartedAt, DateTime? FinishedAt, string Outcome, string? FailureKind, string? Cause,
    int? HttpStatus, long? BackoffMs, DateTime? ScheduledFor, DateTime? FiredAt, long? RetryAfterMs);
