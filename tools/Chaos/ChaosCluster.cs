using System.Globalization;
using Npgsql;

namespace Orchestrator.Chaos;

/// <summary>
/// The production shape on loopback as separate OS processes: a simulated model with a fault mix, orchestrators and
/// workers on a fresh PostgreSQL database and the RabbitMQ node of <c>INFRA_DIR</c>. Every process it started is
/// killed (by PID) when it is disposed; the database is dropped.
/// </summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    /// <summary>Longer than this in the model is longer than an attempt may take.</summary>
    public static readonly TimeSpan StartToCloseTimeout = TimeSpan.FromSeconds(5);

    readonly string _ownerConnectionString;
    readonly string _rabbitMq;
    readonly string _database;
    readonly int _seed;
    readonly Dictionary<string, ChaosProcess> _orchestrators = [];
    readonly Dictionary<string, int> _orchestratorPorts = [];
    readonly Dictionary<string, ChaosProcess> _workers = [];
    readonly Dictionary<string, int> _workerPorts = [];
    readonly List<ChaosProcess> _all = [];
    readonly Dictionary<string, string> _orchestratorEnvironment;
    readonly Lock _gate = new();
    int _workersStarted;
    int _crashedAtStart;
    int _hungAtStart;
    readonly List<string> _hungOutput = [];

    /// <summary>A process not ready this long after its start is taken as hung (a start is 10-30 s on a busy box).</summary>
    static readonly TimeSpan StartupProbe = TimeSpan.FromSeconds(90);
    bool _databaseCreated;

    ChaosCluster(string ownerConnectionString, string rabbitMq, string runTag, int seed, bool defaultTimeouts)
    {
        _ownerConnectionString = ownerConnectionString;
        _rabbitMq = rabbitMq;
        _seed = seed;
        _database = $"chaos_{runTag}";
        ConnectionString = new NpgsqlConnectionStringBuilder(ownerConnectionString) { Database = _database, MaxPoolSize = 20 }.ToString();
        AttemptTimeout = defaultTimeouts ? DefaultStartToCloseTimeout : StartToCloseTimeout;
        _orchestratorEnvironment = new Dictionary<string, string>
        {
            ["Orchestrator__Store"] = "Postgres",
            ["Orchestrator__Transport"] = "RabbitMQ",
            ["Orchestrator__EmbeddedWorkers"] = "false",
            ["Orchestrator__SimulatedModel"] = "false",
            // Loopback processes started by this runner; the API key check is not what is tested here.
            ["Orchestrator__Api__RequireKeys"] = "false",
            ["ConnectionStrings__Postgres"] = ConnectionString,
            ["ConnectionStrings__RabbitMQ"] = rabbitMq,
        };
        if (!defaultTimeouts)
        {
            // Short enough that the model outage (slower than this) times attempts out, and that an attempt whose
            // invoke was lost with a broker restart is repaired well inside the minute the run allows.
            _orchestratorEnvironment["Orchestrator__Timeouts__StartToCloseTimeout"] = StartToCloseTimeout.ToString("c", CultureInfo.InvariantCulture);
            _orchestratorEnvironment["Orchestrator__Timeouts__ScheduleToCloseTimeout"] = "00:00:20";
        }
    }

    /// <summary>The product's default start-to-close timeout, which <c>--full</c> keeps.</summary>
    public static readonly TimeSpan DefaultStartToCloseTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The start-to-close timeout the orchestrators run with.</summary>
    public TimeSpan AttemptTimeout { get; }

    public string ConnectionString { get; }
    public string RabbitMq => _rabbitMq;
    public Uri SimulatedModelUrl { get; private set; } = null!;
    public IReadOnlyList<string> OrchestratorNames
    {
        get
        {
            lock (_gate)
                return [.. _orchestratorPorts.Keys.Order(StringComparer.Ordinal)];
        }
    }

    public IReadOnlyList<string> LiveWorkers
    {
        get
        {
            lock (_gate)
                return [.. _workers.Where(w => !w.Value.HasExited).Select(w => w.Key).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Processes that died before they were ready and were started again, as a supervisor would.</summary>
    public int CrashedAtStart => Volatile.Read(ref _crashedAtStart);

    public Uri WorkerUrl(string name)
    {
        lock (_gate)
            return new Uri($"http://127.0.0.1:{_workerPorts[name]}/");
    }

    public Uri OrchestratorUrl(string name)
    {
        lock (_gate)
            return new Uri($"http://127.0.0.1:{_orchestratorPorts[name]}/");
    }

    /// <summary>The output tails of every process, for a failed run.</summary>
    public string Diagnostics
    {
        get
        {
            lock (_gate)
                return string.Join("\n", _all.Select(p => $"--- {p.Name} (pid {p.Pid}{(p.HasExited ? ", exited" : "")}) ---\n{p.OutputTail}"));
        }
    }

    public static async Task<ChaosCluster> StartAsync(string ownerConnectionString, string rabbitMq, string runTag, int seed, bool defaultTimeouts, int orchestrators, int workers, Action<string> log)
    {
        var cluster = new ChaosCluster(ownerConnectionString, rabbitMq, runTag, seed, defaultTimeouts);
        try
        {
            await cluster.InitializeAsync(orchestrators, workers, log);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    async Task InitializeAsync(int orchestrators, int workers, Action<string> log)
    {
        await using (var admin = new NpgsqlConnection(_ownerConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await create.ExecuteNonQueryAsync();
            _databaseCreated = true;
        }
        log($"database {_database} created");

        var simPort = ChaosProcess.FreePort();
        SimulatedModelUrl = new Uri($"http://127.0.0.1:{simPort}/");
        var sim = Track(ChaosProcess.Start("simulated-model", RepoLayout.SimulatedModel, ["--urls", SimulatedModelUrl.ToString()], new Dictionary<string, string>
        {
            // A steady background of ordinary faults under the injected ones; answers take a moment, so calls are
            // in flight when a worker is killed.
            ["SimulatedModel__LatencyMs"] = "150",
            ["SimulatedModel__LatencyJitterMs"] = "350",
            ["SimulatedModel__FaultRate"] = "0.05",
            ["SimulatedModel__Seed"] = _seed.ToString(CultureInfo.InvariantCulture),
        }));

        await using (var migrate = ChaosProcess.Start("migrate", RepoLayout.Orchestrator, ["migrate"], _orchestratorEnvironment))
        {
            var code = await migrate.WaitForExitAsync(TimeSpan.FromSeconds(120));
            if (code != 0)
                throw new InvalidOperationException($"orchestrator migrate exited {code}:\n{migrate.OutputTail}");
        }
        await sim.WaitUntilHealthyAsync(new Uri(SimulatedModelUrl, "health").ToString(), TimeSpan.FromSeconds(90));
        log($"simulated model on {SimulatedModelUrl}, schema migrated");

        var starting = new List<Task>();
        for (var i = 1; i <= orchestrators; i++)
            starting.Add(StartOrchestratorAsync($"orchestrator-{i}"));
        for (var i = 1; i <= workers; i++)
            starting.Add(StartWorkerAsync());
        await Task.WhenAll(starting);
        log($"{orchestrators} orchestrators and {workers} workers ready");
    }

    /// <summary>Starts (or starts again, on the same port) an orchestrator and waits until it is ready.</summary>
    public async Task StartOrchestratorAsync(string name)
    {
        int port;
        lock (_gate)
        {
            if (!_orchestratorPorts.TryGetValue(name, out port))
                _orchestratorPorts[name] = port = ChaosProcess.FreePort();
        }
        await SuperviseAsync(name, () =>
        {
            var process = Track(ChaosProcess.Start(name, RepoLayout.Orchestrator, ["--urls", $"http://127.0.0.1:{port}"], _orchestratorEnvironment));
            lock (_gate)
                _orchestrators[name] = process;
            return process;
        }, $"http://127.0.0.1:{port}/health/ready");
    }

    /// <summary>Starts a worker under a new name (worker-1, worker-2, ...) and waits until it is ready.</summary>
    public async Task<string> StartWorkerAsync()
    {
        var name = $"worker-{Interlocked.Increment(ref _workersStarted)}";
        var port = ChaosProcess.FreePort();
        lock (_gate)
            _workerPorts[name] = port;
        await SuperviseAsync(name, () =>
        {
            var process = Track(ChaosProcess.Start(name, RepoLayout.Workers, ["--urls", $"http://127.0.0.1:{port}"], new Dictionary<string, string>
            {
                ["ConnectionStrings__RabbitMQ"] = _rabbitMq,
                ["Workers__WorkerId"] = name,
                ["Workers__Models__sim__Endpoints__0__BaseUrl"] = SimulatedModelUrl.ToString(),
            }));
            lock (_gate)
                _workers[name] = process;
            return process;
        }, $"http://127.0.0.1:{port}/health/ready");
        return name;
    }

    /// <summary>
    /// Starts a process and waits until it is ready; one that dies first (a server it needs is restarting just then)
    /// is started again, as a process supervisor would, a bounded number of times.
    /// </summary>
    async Task SuperviseAsync(string name, Func<ChaosProcess> start, string readyUrl)
    {
        for (var attempt = 1; ; attempt++)
        {
            var process = start();
            try
            {
                await process.WaitUntilHealthyAsync(readyUrl, attempt < 5 ? StartupProbe : TimeSpan.FromSeconds(300));
                return;
            }
            catch (InvalidOperationException) when (process.HasExited && attempt < 5)
            {
                Interlocked.Increment(ref _crashedAtStart);
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            catch (TimeoutException) when (attempt < 5)
            {
                // Hung in its start (seen when the broker dies while the bus connects): killed and started again,
                // as a supervisor's startup probe would, and counted.
                Interlocked.Increment(ref _hungAtStart);
                lock (_gate)
                    _hungOutput.Add($"{name} (pid {process.Pid}) not ready within {StartupProbe.TotalSeconds:0} s:\n{process.OutputTail}");
                await process.DisposeAsync();
            }
        }
    }

    /// <summary>Processes that hung in their start (not ready within <see cref="StartupProbe"/>), killed and started again.</summary>
    public int HungAtStart => Volatile.Read(ref _hungAtStart);

    /// <summary>The output of each process that hung in its start, for the report.</summary>
    public IReadOnlyList<string> HungOutput
    {
        get
        {
            lock (_gate)
                return [.. _hungOutput];
        }
    }

    /// <summary>Warnings and errors the orchestrators and workers logged in the window that match the pattern, with who logged them.</summary>
    public List<(string Process, DateTime At, string Line)> Problems(DateTime from, DateTime to, System.Text.RegularExpressions.Regex pattern)
    {
        List<ChaosProcess> all;
        lock (_gate)
            all = [.. _all];
        return [.. all.SelectMany(p => p.Problems(from, to, pattern).Select(l => (p.Name, l.At, l.Line))).OrderBy(l => l.At)];
    }

    /// <summary>
    /// The sum of a metric's series whose line contains <paramref name="labels"/>, per live orchestrator or worker,
    /// keyed by name and PID (a restarted process starts its counters at 0). A process that does not answer is left out.
    /// </summary>
    public async Task<Dictionary<string, double>> ScrapeAsync(bool workers, string metric, string labels = "")
    {
        List<(string Key, Uri Url)> targets;
        lock (_gate)
        {
            var processes = workers ? _workers : _orchestrators;
            var ports = workers ? _workerPorts : _orchestratorPorts;
            targets = [.. processes.Where(p => !p.Value.HasExited).Select(p => ($"{p.Key}#{p.Value.Pid}", new Uri($"http://127.0.0.1:{ports[p.Key]}/metrics")))];
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var values = await Task.WhenAll(targets.Select(async t =>
        {
            try
            {
                var total = 0.0;
                foreach (var line in (await http.GetStringAsync(t.Url)).Split('\n'))
                {
                    if (!line.StartsWith(metric, StringComparison.Ordinal) || !line.Contains(labels, StringComparison.Ordinal))
                        continue;
                    if (double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
                        total += n;
                }
                return (t.Key, Value: (double?)total);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                return (t.Key, Value: null);
            }
        }));
        return values.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value!.Value, StringComparer.Ordinal);
    }

    /// <summary>What the counters grew by between two scrapes; a process that started in between counts from 0.</summary>
    public static double Growth(Dictionary<string, double> before, Dictionary<string, double> after) =>
        after.Sum(a => Math.Max(0, a.Value - before.GetValueOrDefault(a.Key)));

    /// <summary>SIGKILL, by PID: no shutdown, no acknowledgements.</summary>
    public async Task KillAsync(string name)
    {
        ChaosProcess process;
        lock (_gate)
            process = _orchestrators.GetValueOrDefault(name) ?? _workers.GetValueOrDefault(name) ?? throw new ArgumentException($"no process named {name}", nameof(name));
        process.Kill();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(20));
    }

    ChaosProcess Track(ChaosProcess process)
    {
        lock (_gate)
            _all.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        List<ChaosProcess> all;
        lock (_gate)
            all = [.. _all];
        foreach (var process in all)
            await process.DisposeAsync();
        if (!_databaseCreated)
            return;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var admin = new NpgsqlConnection(_ownerConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException exception)
        {
            await Console.Error.WriteLineAsync($"[chaos] left the database {_database} behind: {exception.Message}");
        }
    }
}
