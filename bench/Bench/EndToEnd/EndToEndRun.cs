using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Npgsql;

namespace Orchestrator.Bench.EndToEnd;

/// <summary>
/// The production shape on the real servers: a simulated model, orchestrator(s) and worker(s) as separate processes on
/// a fresh database. A warm-up batch, then a saturating run (throughput, PostgreSQL commits and broker messages per
/// request, retries and timer lateness), then an optional run paced at a fraction of that throughput (overhead
/// percentiles), then each process's peak RSS. Everything it starts it stops, and the database is dropped.
/// </summary>
public sealed partial class EndToEndRun : IAsyncDisposable
{
    static readonly string[] Settled = ["Succeeded", "Failed", "Cancelled", "AwaitingReview"];
    // Idle backends flush their statistics within about a second (PostgreSQL 15); wait that out around each read.
    static readonly TimeSpan StatsSettle = TimeSpan.FromSeconds(2);
    static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(3);

    readonly EndToEndSettings _settings;
    readonly string _database;
    readonly string _connectionString;
    readonly List<BenchProcess> _processes = [];
    readonly List<BenchProcess> _orchestrators = [];
    readonly List<BenchProcess> _workers = [];
    BenchProcess? _model;
    readonly HttpClient _http;
    NpgsqlConnection? _probe;
    long _probeQueries;

    EndToEndRun(EndToEndSettings settings)
    {
        _settings = settings;
        _database = $"bench_{settings.Name.Replace('-', '_')}_{Environment.ProcessId}";
        _connectionString = new NpgsqlConnectionStringBuilder(settings.AdminConnectionString) { Database = _database, Pooling = false }.ConnectionString;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(64, settings.SubmitConcurrency * 2) })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public static Task<EndToEndResult> RunAsync(EndToEndSettings settings, CancellationToken cancel) =>
        RunBoundedAsync(settings, static (run, token) => run.ExecuteAsync(token), cancel);

    /// <summary>
    /// Runs <paramref name="body"/> on a new run of <paramref name="settings"/> within its timeout; a run cut short by the
    /// timeout (not by <paramref name="cancel"/>) is a <see cref="TimeoutException"/> with the processes' last output.
    /// Everything the run started is stopped, and its database dropped, either way.
    /// </summary>
    static async Task<T> RunBoundedAsync<T>(EndToEndSettings settings, Func<EndToEndRun, CancellationToken, Task<T>> body, CancellationToken cancel)
    {
        await using var run = new EndToEndRun(settings);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(settings.Timeout);
        try
        {
            return await body(run, limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"{settings.Name}: the run did not finish within {settings.Timeout.TotalSeconds} s\n{run.Diagnostics()}");
        }
    }

    async Task<EndToEndResult> ExecuteAsync(CancellationToken token)
    {
        var started = DateTime.UtcNow;
        await StartClusterAsync(token);
        _probe = new NpgsqlConnection(_connectionString);
        await _probe.OpenAsync(token);

        Progress.Say($"{_settings.Name}: warm-up, {_settings.WarmupRequests} requests");
        await SubmitAllAsync("warm", _settings.WarmupRequests, token);
        await WaitSettledAsync(_settings.WarmupRequests, token);

        var saturated = await SaturatedAsync(token);
        PacedRun? paced = null;
        if (_settings.PacedRequests > 0)
            paced = await PacedAsync(saturated.RequestsPerSec * _settings.PacedFraction, token);

        var rss = _processes.ToDictionary(p => p.Name, p => p.PeakRssMb());
        var idle = _settings.IdleAfter > TimeSpan.Zero ? await IdleAfterRunAsync(token) : null;
        return new EndToEndResult(_settings.Name, started, _settings.Orchestrators, _settings.Workers, _settings.ModelLatencyMs,
            _settings.FaultRate, _settings.FirstCallFaultRate, NonDefaults(), saturated, paced, rss, _settings.ModelLatencyJitterMs,
            _settings.FaultRate > 0 ? _settings.FaultMix : null,
            _settings.Outages is { Count: > 0 } outages ? outages.Select(o => o.ToString()).ToList() : null, idle);
    }

    /// <summary>
    /// What the orchestrator and worker processes run with that a user's deployment would not: the bench's one client
    /// submits without a key and past the per-client limit, and whatever --process-env sets.
    /// </summary>
    SortedDictionary<string, string> NonDefaults()
    {
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["Orchestrator__Api__RequireKeys"] = "false",
            ["Orchestrator__Api__SubmitPermitsPerSecond"] = SubmitPermitsPerSecond,
        };
        if (_settings.InitialBackoffMs > 0)
            settings["Orchestrator__Retry__InitialInterval"] = InitialInterval;
        foreach (var (key, value) in _settings.ProcessEnvironment)
            settings[key] = value;
        return settings;
    }

    string InitialInterval => TimeSpan.FromMilliseconds(_settings.InitialBackoffMs).ToString("c", CultureInfo.InvariantCulture);

    const string SubmitPermitsPerSecond = "1000000";

    string Diagnostics() => string.Join("\n", _processes.Select(p => $"--- {p.Name} (pid {p.Pid}) ---\n{Tail(p.Tail)}"));

    static string Tail(string text) => text.Length > 3000 ? text[^3000..] : text;

    string Bin(string project, string assembly) => Path.Combine(_settings.BinDirectory, "src", project, "bin", "Release", "net10.0", assembly);

    async Task StartClusterAsync(CancellationToken cancel)
    {
        await using (var admin = new NpgsqlConnection(_settings.AdminConnectionString))
        {
            await admin.OpenAsync(cancel);
            await using var create = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE); CREATE DATABASE {_database}", admin);
            // Two statements: DROP/CREATE DATABASE refuse to run inside a transaction block, so send them apart.
            create.CommandText = $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)";
            await create.ExecuteNonQueryAsync(cancel);
            create.CommandText = $"CREATE DATABASE {_database}";
            await create.ExecuteNonQueryAsync(cancel);
        }

        var sim = new Dictionary<string, string>
        {
            ["SimulatedModel__LatencyMs"] = _settings.ModelLatencyMs.ToString(CultureInfo.InvariantCulture),
            ["SimulatedModel__FaultRate"] = _settings.FaultRate.ToString(CultureInfo.InvariantCulture),
            ["SimulatedModel__LatencyJitterMs"] = _settings.ModelLatencyJitterMs.ToString(CultureInfo.InvariantCulture),
        };
        // By default a transient 500, governed by the default retry policy (no per-cause override); "model" keeps the
        // simulator's own mix (503, 429 with Retry-After, 500, reset).
        if (_settings.FaultRate > 0 && _settings.FaultMix != "model")
        {
            foreach (var pair in _settings.FaultMix.Split(',', StringSplitOptions.RemoveEmptyEntries))
                sim[$"SimulatedModel__FaultMix__{pair[..pair.IndexOf('=', StringComparison.Ordinal)]}"] = pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
        }
        var model = _model = Track(BenchProcess.Start("simulated-model", Bin("SimulatedModel", "Orchestrator.SimulatedModel.dll"), [], sim));

        var orchestrator = new Dictionary<string, string>
        {
            ["Orchestrator__Store"] = "Postgres",
            ["Orchestrator__Transport"] = "RabbitMQ",
            ["Orchestrator__EmbeddedWorkers"] = "false",
            ["Orchestrator__SimulatedModel"] = "false",
            ["Orchestrator__Api__RequireKeys"] = "false",
            // One client submits every request: the per-client submit limit (500/s by default) would measure itself.
            ["Orchestrator__Api__SubmitPermitsPerSecond"] = SubmitPermitsPerSecond,
            ["ConnectionStrings__Postgres"] = new NpgsqlConnectionStringBuilder(_settings.AdminConnectionString + ";" + _settings.ConnectionOptions) { Database = _database }.ConnectionString,
            ["ConnectionStrings__RabbitMQ"] = _settings.Broker.ToString(),
        };
        foreach (var (key, value) in _settings.ProcessEnvironment)
            orchestrator[key] = value;
        if (_settings.InitialBackoffMs > 0)
            orchestrator["Orchestrator__Retry__InitialInterval"] = InitialInterval;

        var dll = Bin("Orchestrator", "Orchestrator.dll");
        await using (var migrate = BenchProcess.Start("migrate", dll, ["migrate"], orchestrator, listens: false))
        {
            var code = await migrate.WaitForExitAsync(TimeSpan.FromSeconds(90), cancel);
            if (code != 0)
                throw new InvalidOperationException($"migrate exited {code}:\n{migrate.Tail}");
        }
        await model.WaitUntilReadyAsync(_http, "health", TimeSpan.FromSeconds(60), cancel);

        var ready = new List<Task>();
        for (var i = 1; i <= _settings.Orchestrators; i++)
        {
            var process = Track(BenchProcess.Start($"orchestrator-{i}", dll, [], orchestrator));
            _orchestrators.Add(process);
            ready.Add(process.WaitUntilReadyAsync(_http, "health/ready", TimeSpan.FromSeconds(120), cancel));
        }
        for (var i = 1; i <= _settings.Workers; i++)
        {
            var worker = new Dictionary<string, string>(_settings.ProcessEnvironment)
            {
                ["ConnectionStrings__RabbitMQ"] = _settings.Broker.ToString(),
                ["Workers__WorkerId"] = $"worker-{i}",
                ["Workers__Models__sim__Endpoints__0__BaseUrl"] = model.BaseUrl.ToString(),
            };
            var process = Track(BenchProcess.Start($"worker-{i}", Bin("Workers", "Orchestrator.Workers.dll"), [], worker));
            _workers.Add(process);
            ready.Add(process.WaitUntilReadyAsync(_http, "health/ready", TimeSpan.FromSeconds(120), cancel));
        }
        await Task.WhenAll(ready);
        Progress.Say($"{_settings.Name}: {_settings.Orchestrators} orchestrator(s), {_settings.Workers} worker(s), model at {_settings.ModelLatencyMs} ms, fault rate {_settings.FaultRate} ready on database {_database}");
    }

    BenchProcess Track(BenchProcess process)
    {
        _processes.Add(process);
        return process;
    }

    async Task<SaturatedRun> SaturatedAsync(CancellationToken cancel)
    {
        var n = _settings.Requests;
        var counters = new BrokerCounters(_settings.InfraCtl);
        await Task.Delay(StatsSettle, cancel);
        var settledBefore = await SettledCountAsync(cancel);
        // The idle rate: commits the processes make with nothing to do (timer polling, the clustered sweep, gauges).
        var idleStart = await CommitsAsync(cancel);
        var idleCpuStart = CpuSnapshot();
        var idleClock = Stopwatch.StartNew();
        await Task.Delay(IdleWindow, cancel);
        var commitsBefore = await CommitsAsync(cancel);
        var idleSeconds = idleClock.Elapsed.TotalSeconds;
        var idleCommitsPerSec = (commitsBefore - idleStart - 1) / idleSeconds;
        var idleCpu = CpuSnapshot().ToDictionary(
            c => c.Key,
            c => c.Value is { } after && idleCpuStart.GetValueOrDefault(c.Key) is { } before ? Math.Round((after - before) * 100 / idleSeconds, 1) : (double?)null);
        var window = Stopwatch.StartNew();
        var probesBefore = _probeQueries;
        var brokerBefore = await counters.ReadAsync(cancel);
        var resilienceBefore = await ResilienceCounters.ReadAsync(_http, _orchestrators, _workers, cancel);

        var cpuBefore = CpuSnapshot();

        Progress.Say($"{_settings.Name}: saturating run, {n} requests, {_settings.SubmitConcurrency} submits in flight");
        var firstSubmit = DateTime.UtcNow;
        using var stopOutages = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var outages = Task.WhenAll((_settings.Outages ?? []).Select(o => OutageAsync(o, stopOutages.Token)));
        await SubmitAllAsync("sat", n, cancel);
        await WaitSettledAsync(settledBefore + n, cancel);
        await stopOutages.CancelAsync();
        await outages;
        var cpuAfter = CpuSnapshot();
        var resilience = (await ResilienceCounters.ReadAsync(_http, _orchestrators, _workers, cancel)).Since(resilienceBefore);
        var cpuPerRequest = cpuAfter.ToDictionary(
            c => c.Key,
            c => c.Value is { } after && cpuBefore.GetValueOrDefault(c.Key) is { } before ? Math.Round((after - before) * 1000 / n, 2) : (double?)null);

        await Task.Delay(StatsSettle, cancel);
        var probes = _probeQueries - probesBefore;
        var commitsAfter = await CommitsAsync(cancel);
        var windowSeconds = window.Elapsed.TotalSeconds;
        var brokerAfter = await counters.ReadAsync(cancel);
        // The probe's own queries (one commit each, including this read) are the benchmark's, not the product's.
        var productCommits = commitsAfter - commitsBefore - probes - 1;

        var summary = await QueryAsync("""
            SELECT count(*) FILTER (WHERE state = 'Succeeded'), count(*) FILTER (WHERE state = 'Failed'),
                   count(*) FILTER (WHERE state NOT IN ('Succeeded', 'Failed')), max(completed_at)
            FROM inference_requests WHERE request_id LIKE 'sat-%'
            """, r => (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? firstSubmit : r.GetFieldValue<DateTime>(3)), cancel);
        var (succeeded, failed, other, lastTerminal) = summary.Single();
        var seconds = Math.Max((lastTerminal - firstSubmit).TotalSeconds, 0.001);

        var (attemptCount, retries, lateP50, lateP99, lateMax) = await TimersAsync("sat-", cancel);

        var result = new SaturatedRun(
            n, _settings.SubmitConcurrency, Math.Round(seconds, 2), Math.Round(n / seconds, 1), succeeded, failed, other,
            Math.Round((double)productCommits / n, 2),
            Math.Round(idleCommitsPerSec, 1),
            Math.Round((productCommits - idleCommitsPerSec * windowSeconds) / n, 2),
            Math.Round((double)(brokerAfter.Published - brokerBefore.Published) / n, 2),
            Math.Round((double)(brokerAfter.Delivered - brokerBefore.Delivered) / n, 2),
            attemptCount, retries, Math.Round(retries / seconds, 1), lateP50, lateP99, lateMax,
            await LatencyAsync("sat-", cancel),
            cpuPerRequest,
            idleCpu,
            resilience,
            Math.Round((double)(brokerAfter.Routed - brokerBefore.Routed) / n, 2));
        Progress.Say($"{_settings.Name}: {result.RequestsPerSec} req/s, {result.TxPerRequest} commits and {result.MsgsPerRequest} publishes per request, {retries} retries; " +
                     $"{resilience.BreakerOpenings} breaker openings, {resilience.RetryAfterCooldowns} Retry-After cooldowns, {resilience.Bounces} bounces, " +
                     $"{resilience.HeldInvokes} invokes held by workers, {resilience.HeldDispatches} dispatches held");
        return result;
    }

    /// <summary>
    /// CPU of every process in a window well after the last request, when nothing is left to do but the pollers,
    /// sweeps and gauges: what an idle deployment costs.
    /// </summary>
    async Task<IdleFigures> IdleAfterRunAsync(CancellationToken cancel)
    {
        var window = TimeSpan.FromSeconds(10);
        Progress.Say($"{_settings.Name}: idle, CPU over {window.TotalSeconds:0} s from {_settings.IdleAfter.TotalSeconds:0} s after the last request");
        await Task.Delay(_settings.IdleAfter, cancel);
        var before = CpuSnapshot();
        var clock = Stopwatch.StartNew();
        await Task.Delay(window, cancel);
        var after = CpuSnapshot();
        var seconds = clock.Elapsed.TotalSeconds;
        return new IdleFigures(_settings.IdleAfter.TotalSeconds, Math.Round(seconds, 2), after.ToDictionary(
            c => c.Key,
            c => c.Value is { } end && before.GetValueOrDefault(c.Key) is { } start ? Math.Round((end - start) * 100 / seconds, 2) : (double?)null));
    }

    /// <summary>Switches the simulated model's outage on at its time into the run (its /admin/fault); it ends by itself.</summary>
    async Task OutageAsync(ModelOutage outage, CancellationToken cancel)
    {
        try
        {
            await Task.Delay(outage.At, cancel);
        }
        catch (OperationCanceledException)
        {
            // The run ended first.
            return;
        }
        var body = $$"""{"step":"{{outage.Step}}","seconds":{{outage.For.TotalSeconds.ToString(CultureInfo.InvariantCulture)}}}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _http.PutAsync(new Uri(_model!.BaseUrl, "admin/fault"), content, CancellationToken.None);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"outage {outage}: the simulated model answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
        Progress.Say($"{_settings.Name}: outage {outage} on");
    }

    /// <summary>CPU seconds so far of each process of the run, the servers (with their backends) and this tool.</summary>
    Dictionary<string, double?> CpuSnapshot()
    {
        var cpu = _processes.ToDictionary(p => p.Name, p => CpuMeter.Seconds(p.Pid, withChildren: false));
        foreach (var (name, file) in _settings.ServerPidFiles)
            cpu[name] = CpuMeter.PidFromFile(file) is { } pid ? CpuMeter.Seconds(pid, withChildren: true) : null;
        cpu["bench-client"] = CpuMeter.Seconds(Environment.ProcessId, withChildren: false);
        return cpu;
    }

    async Task<PacedRun> PacedAsync(double rate, CancellationToken cancel)
    {
        rate = Math.Max(rate, 1);
        var n = (int)Math.Min(_settings.PacedRequests, Math.Max(100, rate * _settings.PacedSeconds));
        Progress.Say($"{_settings.Name}: paced run, {n} requests at {rate:F0}/s");
        var settledBefore = await SettledCountAsync(cancel);
        var clock = Stopwatch.StartNew();
        var firstSubmit = DateTime.UtcNow;
        var inFlight = new List<Task>(n);
        for (var i = 0; i < n; i++)
        {
            // Open loop: request i leaves at i / rate whatever happened to the earlier ones.
            var due = TimeSpan.FromSeconds(i / rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, cancel);
            inFlight.Add(SubmitAsync($"paced-{i}", i, cancel));
        }
        await Task.WhenAll(inFlight);
        await WaitSettledAsync(settledBefore + n, cancel);
        var last = (await QueryAsync("SELECT max(completed_at) FROM inference_requests WHERE request_id LIKE 'paced-%'",
            r => r.IsDBNull(0) ? DateTime.UtcNow : r.GetFieldValue<DateTime>(0), cancel)).Single();
        var achieved = n / Math.Max((last - firstSubmit).TotalSeconds, 0.001);
        var (_, retries, lateP50, lateP99, _) = await TimersAsync("paced-", cancel);
        return new PacedRun(n, Math.Round(rate, 1), Math.Round(achieved, 1), await LatencyAsync("paced-", cancel), retries, lateP50, lateP99);
    }

    /// <summary>Attempts, retries and timer lateness (fired_at − scheduled_for) of the requests with this id prefix.</summary>
    async Task<(long Attempts, long Retries, double? P50, double? P99, double? Max)> TimersAsync(string prefix, CancellationToken cancel)
    {
        var rows = await QueryAsync($"""
            SELECT count(*), count(a.scheduled_for),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.fired_at - a.scheduled_for) * 1000),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM a.fired_at - a.scheduled_for) * 1000),
                   max(extract(epoch FROM a.fired_at - a.scheduled_for) * 1000)
            FROM inference_attempts a JOIN inference_requests r USING (correlation_id) WHERE r.request_id LIKE '{prefix}%'
            """, r => (r.GetInt64(0), r.GetInt64(1), NullableDouble(r, 2), NullableDouble(r, 3), NullableDouble(r, 4)), cancel);
        var (attempts, retries, p50, p99, max) = rows.Single();
        return (attempts, retries, Round1(p50), Round1(p99), Round1(max));
    }

    async Task<LatencyFigures> LatencyAsync(string prefix, CancellationToken cancel)
    {
        var rows = await QueryAsync($"""
            SELECT extract(epoch FROM r.completed_at - r.created_at) * 1000, coalesce(sum(a.latency_ms), 0)
            FROM inference_requests r LEFT JOIN inference_attempts a USING (correlation_id)
            WHERE r.request_id LIKE '{prefix}%' AND r.completed_at IS NOT NULL
            GROUP BY r.correlation_id, r.completed_at, r.created_at
            """, r => (EndToEnd: Convert.ToDouble(r.GetValue(0), CultureInfo.InvariantCulture), Model: (double)r.GetInt64(1)), cancel);
        var endToEnd = rows.Select(r => r.EndToEnd).ToList();
        var overhead = rows.Select(r => r.EndToEnd - r.Model).ToList();
        var model = rows.Select(r => r.Model).ToList();
        // Where the overhead goes, for requests answered at the first attempt: from the saga's insert to the worker's
        // start (commit, dispatch, broker, worker), and from the worker's end back to the saga's last transition.
        var legs = await QueryAsync($"""
            SELECT extract(epoch FROM a.started_at - r.created_at) * 1000, extract(epoch FROM r.completed_at - a.finished_at) * 1000
            FROM inference_requests r JOIN inference_attempts a USING (correlation_id)
            WHERE r.request_id LIKE '{prefix}%' AND r.completed_at IS NOT NULL AND r.attempt = 1
              AND a.started_at IS NOT NULL AND a.finished_at IS NOT NULL
            """, r => (ToWorker: Convert.ToDouble(r.GetValue(0), CultureInfo.InvariantCulture), Back: Convert.ToDouble(r.GetValue(1), CultureInfo.InvariantCulture)), cancel);
        return new LatencyFigures(
            Percentiles.Of(endToEnd, 0.50), Percentiles.Of(endToEnd, 0.99),
            Percentiles.Of(overhead, 0.50), Percentiles.Of(overhead, 0.95), Percentiles.Of(overhead, 0.99), Percentiles.Of(model, 0.50),
            Percentiles.Of(legs.Select(l => l.ToWorker).ToList(), 0.50), Percentiles.Of(legs.Select(l => l.Back).ToList(), 0.50));
    }

    async Task SubmitAllAsync(string prefix, int count, CancellationToken cancel, Func<int, int>? priority = null)
    {
        var next = -1;
        var loops = Enumerable.Range(0, Math.Min(_settings.SubmitConcurrency, count)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
                await SubmitAsync($"{prefix}-{i}", i, cancel, priority?.Invoke(i));
        }, cancel));
        await Task.WhenAll(loops);
    }

    async Task SubmitAsync(string requestId, int index, CancellationToken cancel, int? priority = null, string? callbackUrl = null)
    {
        var target = _orchestrators[index % _orchestrators.Count];
        var priorityField = priority is { } p ? $",\"priority\":{p}" : "";
        var callbackField = callbackUrl is null ? "" : $",\"callback\":{{\"url\":\"{callbackUrl}\"}}";
        var body = $$"""{"requestId":"{{requestId}}","model":"sim"{{priorityField}}{{callbackField}},"messages":[{"role":"user","content":"benchmark request {{requestId}}{{FirstCallFault(index)}}"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(target.BaseUrl, "api/requests"), content, cancel);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"submit {requestId} to {target.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancel)}");
    }

    /// <summary>
    /// A script failing the first call once with a transient 500, for FirstCallFaultRate of the requests, spread
    /// evenly (request i is one when ⌊(i+1)·rate⌋ > ⌊i·rate⌋); each request's text is its own, so is its script's count.
    /// </summary>
    string FirstCallFault(int index) =>
        Math.Floor((index + 1) * _settings.FirstCallFaultRate) > Math.Floor(index * _settings.FirstCallFaultRate) ? " [[sim: 500, ok]]" : "";

    async Task WaitSettledAsync(long expected, CancellationToken cancel)
    {
        long settled = 0;
        var lastChange = Stopwatch.StartNew();
        while (true)
        {
            var now = await SettledCountAsync(cancel);
            if (now >= expected)
                return;
            if (now != settled)
            {
                settled = now;
                lastChange.Restart();
            }
            else if (lastChange.Elapsed > TimeSpan.FromSeconds(60))
            {
                var states = await QueryAsync("SELECT coalesce(state, '(none)') || '=' || count(*) FROM inference_requests GROUP BY state", r => r.GetString(0), cancel);
                throw new TimeoutException($"{_settings.Name}: no request settled for 60 s; {settled} of {expected} settled ({string.Join(", ", states)})\n{Diagnostics()}");
            }
            await Task.Delay(250, cancel);
        }
    }

    async Task<long> SettledCountAsync(CancellationToken cancel) =>
        (await QueryAsync($"SELECT count(*) FROM inference_requests WHERE state IN ({string.Join(", ", Settled.Select(s => $"'{s}'"))})",
            r => r.GetInt64(0), cancel)).Single();

    async Task<long> CommitsAsync(CancellationToken cancel) =>
        (await QueryAsync("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", r => r.GetInt64(0), cancel)).Single();

    async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancel)
    {
        _probeQueries++;
        await using var command = new NpgsqlCommand(sql, _probe);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancel))
            rows.Add(read(reader));
        return rows;
    }

    static double? NullableDouble(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Convert.ToDouble(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    static double? Round1(double? value) => value is { } v ? Math.Round(v, 1) : null;

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
            await process.DisposeAsync();
        if (_probe is not null)
            await _probe.DisposeAsync();
        _http.Dispose();
        try
        {
            await using var admin = new NpgsqlConnection(_settings.AdminConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException exception)
        {
            Progress.Say($"{_settings.Name}: could not drop database {_database}: {exception.Message}");
        }
    }
}
