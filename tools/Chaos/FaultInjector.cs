using System.Net.Http.Json;

namespace Orchestrator.Chaos;

/// <summary>Carries out one fault of each kind against the cluster and reports when the system was whole again.</summary>
public sealed class FaultInjector(ChaosCluster cluster, Random random, Action<string> log)
{
    /// <summary>How long the broker is held with SIGSTOP: longer than a publish waits for its confirm.</summary>
    public static readonly TimeSpan HangFor = TimeSpan.FromSeconds(20);

    // One broker: its faults take turns (a kill in the middle of a clean stop would be neither), the others overlap. A
    // turn ends when the broker takes connections again; the start script's own checks may run on for a while, and
    // the next broker fault waits for them too (they fail on a broker gone or frozen again).
    static readonly SemaphoreSlim Broker = new(1, 1);
    static Task _brokerStartScript = Task.CompletedTask;
    Task? _startScript;
    string? _victim;
    DateTime? _struckUtc;

    /// <summary>The model outage: first slower than an attempt may take, then failing.</summary>
    public static readonly TimeSpan SlowPhase = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan FailingPhase = TimeSpan.FromSeconds(8);
    bool _midCall;
    DateTime? _endedUtc; // when the system was whole again, if that is before the fault's own steps returned

    static readonly int SlowMs = (int)(ChaosCluster.StartToCloseTimeout.TotalMilliseconds + 3000);

    public async Task<FaultRecord> InjectAsync(FaultKind kind)
    {
        var onBroker = kind is FaultKind.RestartRabbitMq or FaultKind.KillRabbitMq or FaultKind.HangRabbitMq;
        if (onBroker)
            await Broker.WaitAsync();
        FaultRecord record;
        try
        {
            if (onBroker)
            {
                try
                {
                    await _brokerStartScript;
                }
                catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
                {
                    // The fault that started it reports it.
                }
            }
            record = await StrikeAsync(kind);
        }
        finally
        {
            if (onBroker)
                Broker.Release();
        }
        if (_startScript is null)
            return record;
        try
        {
            await _startScript; // a start that failed outright still fails the fault
            return record;
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
        {
            log($"fault {kind} failed: {exception.Message}");
            return record with { Error = exception.Message.Split('\n')[0] };
        }
    }

    async Task<FaultRecord> StrikeAsync(FaultKind kind)
    {
        var started = DateTime.UtcNow;
        try
        {
            var detail = kind switch
            {
                FaultKind.KillWorker => await KillWorkerAsync(),
                FaultKind.KillOrchestrator => await KillOrchestratorAsync(),
                FaultKind.RestartRabbitMq => await RestartRabbitMqAsync("rmq-stop", "RabbitMQ stopped cleanly and started again"),
                FaultKind.KillRabbitMq => await RestartRabbitMqAsync("rmq-kill", "RabbitMQ SIGKILLed and started again"),
                FaultKind.HangRabbitMq => await HangRabbitMqAsync(),
                FaultKind.RestartPostgres => await RestartAsync("pg-restart-immediate", "PostgreSQL restarted with pg_ctl restart -m immediate"),
                FaultKind.ModelOutage => await ModelOutageAsync(),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown fault kind"),
            };
            return new FaultRecord(kind, started, _endedUtc ?? DateTime.UtcNow, detail, null, _midCall) { Victim = _victim, StruckUtc = _struckUtc ?? started };
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or HttpRequestException or IOException
            or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
        {
            log($"fault {kind} failed: {exception.Message}");
            // The first line says what went wrong; the process output behind it is in the diagnostics of a failed run.
            return new FaultRecord(kind, started, DateTime.UtcNow, "", exception.Message.Split('\n')[0]);
        }
    }

    async Task<string> KillWorkerAsync()
    {
        // Mid-call: a worker whose own gauge shows model calls in flight right now.
        var live = cluster.LiveWorkers;
        string? victim = null;
        var calls = 0L;
        // Bounded, but long enough to outlast a broker restart, during which no worker holds a call.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (victim is null && DateTime.UtcNow < deadline)
        {
            // All workers at once: a scrape can take a second or two on a busy box.
            var scrapes = await Task.WhenAll(live.Select(async name => (Name: name, Calls: await InFlightAsync(http, cluster.WorkerUrl(name)))));
            var holding = scrapes.Where(s => s.Calls > 0).OrderByDescending(s => s.Calls).ThenBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault();
            if (holding.Name is not null)
            {
                victim = holding.Name;
                calls = holding.Calls;
            }
            if (victim is null)
                await Task.Delay(50);
        }
        var midCall = _midCall = victim is not null;
        victim ??= live[random.Next(live.Count)];
        _victim = victim;
        _struckUtc = DateTime.UtcNow;
        await cluster.KillAsync(victim);
        log($"SIGKILL {victim} ({(midCall ? $"{calls} calls in flight" : "no call in flight found within 120 s")})");
        var replacement = await cluster.StartWorkerAsync();
        return $"SIGKILL {victim} {(midCall ? $"holding {calls} model calls" : "(no call in flight)")}; started {replacement}";
    }

    /// <summary>The worker's <c>orchestrator_inflight</c> gauge (model calls in flight), 0 when it does not answer.</summary>
    static async Task<long> InFlightAsync(HttpClient http, Uri worker)
    {
        try
        {
            var text = await http.GetStringAsync(new Uri(worker, "metrics"));
            var total = 0L;
            foreach (var line in text.Split('\n'))
            {
                if (!line.StartsWith("orchestrator_inflight", StringComparison.Ordinal))
                    continue;
                var value = line[(line.LastIndexOf(' ') + 1)..];
                if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n))
                    total += (long)n;
            }
            return total;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    async Task<string> KillOrchestratorAsync()
    {
        var names = cluster.OrchestratorNames;
        var victim = _victim = names[random.Next(names.Count)];
        _struckUtc = DateTime.UtcNow;
        await cluster.KillAsync(victim);
        log($"SIGKILL {victim}");
        await cluster.StartOrchestratorAsync(victim);
        return $"SIGKILL {victim}; started again and ready";
    }

    async Task<string> RestartAsync(string verb, string detail)
    {
        log($"infra-ctl.sh {verb}");
        await InfraControl.RunAsync(verb, TimeSpan.FromSeconds(240));
        return detail;
    }

    /// <summary>
    /// Stops the node (<c>rmq-stop</c>, clean, or <c>rmq-kill</c>, SIGKILL) and starts it again (<c>rmq-start</c>).
    /// The broker is back when it takes an AMQP connection again: the start script's own boot check (the Erlang CLI)
    /// can lag minutes behind on a busy box, so it is waited for afterwards without holding up the fault's end.
    /// </summary>
    async Task<string> RestartRabbitMqAsync(string stopVerb, string detail)
    {
        var limit = TimeSpan.FromSeconds(240);
        log($"infra-ctl.sh {stopVerb}");
        await InfraControl.RunAsync(stopVerb, limit);
        log("infra-ctl.sh rmq-start");
        // WaitAsync disposes the process when it has exited: that may be after this fault's turn on the broker.
        var waiting = InfraControl.WaitAsync(InfraControl.Start("rmq-start", limit), "rmq-start", limit);
        await WaitForBrokerAsync(limit, waiting);
        _endedUtc = DateTime.UtcNow;
        _brokerStartScript = _startScript = waiting; // waited for after the broker's turn is over
        return detail;
    }

    /// <summary>Waits until the broker takes an AMQP connection, failing with <paramref name="starting"/> if it fails.</summary>
    async Task WaitForBrokerAsync(TimeSpan limit, Task? starting)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(cluster.RabbitMq), RequestedConnectionTimeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (starting is { IsFaulted: true })
                await starting; // the start failed: that is the fault's error
            try
            {
                await using var connection = await factory.CreateConnectionAsync();
                return;
            }
            catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>SIGSTOP of the broker for <see cref="HangFor"/>, then SIGCONT: it is back when it takes a connection.</summary>
    async Task<string> HangRabbitMqAsync()
    {
        log($"infra-ctl.sh rmq-freeze for {HangFor.TotalSeconds:0} s");
        await InfraControl.RunAsync("rmq-freeze", TimeSpan.FromSeconds(30));
        try
        {
            await Task.Delay(HangFor);
        }
        finally
        {
            // Whatever happened meanwhile, the broker must not stay frozen.
            await InfraControl.RunAsync("rmq-thaw", TimeSpan.FromSeconds(30));
        }
        log("infra-ctl.sh rmq-thaw");
        await WaitForBrokerAsync(TimeSpan.FromSeconds(120), null);
        _endedUtc = DateTime.UtcNow;
        return $"RabbitMQ held with SIGSTOP for {HangFor.TotalSeconds:0} s, then SIGCONT";
    }

    async Task<string> ModelOutageAsync()
    {
        using var sim = new HttpClient { BaseAddress = cluster.SimulatedModelUrl, Timeout = TimeSpan.FromSeconds(10) };
        await SetAsync(sim, $"slow:{SlowMs}", SlowPhase);
        log($"model slow ({SlowMs} ms per call) for {SlowPhase.TotalSeconds:0} s");
        await Task.Delay(SlowPhase);
        await SetAsync(sim, "503", FailingPhase);
        log($"model answers 503 for {FailingPhase.TotalSeconds:0} s");
        await Task.Delay(FailingPhase);
        using var cleared = await sim.DeleteAsync(new Uri("admin/fault", UriKind.Relative));
        cleared.EnsureSuccessStatusCode();
        return $"every call slow:{SlowMs} for {SlowPhase.TotalSeconds:0} s (attempt timeout {cluster.AttemptTimeout.TotalSeconds:0} s), then 503 for {FailingPhase.TotalSeconds:0} s";
    }

    static async Task SetAsync(HttpClient sim, string step, TimeSpan duration)
    {
        using var response = await sim.PutAsJsonAsync(new Uri("admin/fault", UriKind.Relative), new { step, seconds = duration.TotalSeconds });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the simulated model refused the outage {step}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
