using System.Net.Http.Json;
using Npgsql;

namespace Orchestrator.Chaos;

/// <summary>Carries out one fault of each kind against the cluster and reports when the system was whole again.</summary>
public sealed class FaultInjector(ChaosCluster cluster, Random random, Action<string> log)
{
    /// <summary>The model outage: first slower than an attempt may take, then failing.</summary>
    public static readonly TimeSpan SlowPhase = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan FailingPhase = TimeSpan.FromSeconds(8);
    static readonly int SlowMs = (int)(ChaosCluster.StartToCloseTimeout.TotalMilliseconds + 3000);

    public async Task<FaultRecord> InjectAsync(FaultKind kind)
    {
        var started = DateTime.UtcNow;
        try
        {
            var detail = kind switch
            {
                FaultKind.KillWorker => await KillWorkerAsync(),
                FaultKind.KillOrchestrator => await KillOrchestratorAsync(),
                FaultKind.RestartRabbitMq => await RestartAsync("rmq-restart", "RabbitMQ stopped and started again"),
                FaultKind.RestartPostgres => await RestartAsync("pg-restart-immediate", "PostgreSQL restarted with pg_ctl restart -m immediate"),
                FaultKind.ModelOutage => await ModelOutageAsync(),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown fault kind"),
            };
            return new FaultRecord(kind, started, DateTime.UtcNow, detail, null);
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or HttpRequestException or NpgsqlException or IOException)
        {
            log($"fault {kind} failed: {exception.Message}");
            return new FaultRecord(kind, started, DateTime.UtcNow, "", exception.Message);
        }
    }

    async Task<string> KillWorkerAsync()
    {
        // Mid-call: the worker of an attempt that has started and not finished, i.e. one waiting on the model.
        var live = cluster.LiveWorkers;
        string? victim = null;
        var calls = 0L;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (victim is null && DateTime.UtcNow < deadline)
        {
            await using var connection = new NpgsqlConnection(cluster.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                SELECT worker_id, COUNT(*) FROM inference_attempts
                WHERE outcome = 'Running' AND finished_at IS NULL AND worker_id = ANY(@live)
                GROUP BY worker_id ORDER BY COUNT(*) DESC, worker_id LIMIT 1
                """, connection);
            command.Parameters.AddWithValue("live", live.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                victim = reader.GetString(0);
                calls = reader.GetInt64(1);
            }
            else
            {
                await Task.Delay(100);
            }
        }
        var midCall = victim is not null;
        victim ??= live[random.Next(live.Count)];
        await cluster.KillAsync(victim);
        log($"SIGKILL {victim} ({(midCall ? $"{calls} calls in flight" : "no call in flight found within 10 s")})");
        var replacement = await cluster.StartWorkerAsync();
        return $"SIGKILL {victim} {(midCall ? $"holding {calls} model calls" : "(no call in flight)")}; started {replacement}";
    }

    async Task<string> KillOrchestratorAsync()
    {
        var names = cluster.OrchestratorNames;
        var victim = names[random.Next(names.Count)];
        await cluster.KillAsync(victim);
        log($"SIGKILL {victim}");
        await cluster.StartOrchestratorAsync(victim);
        return $"SIGKILL {victim}; started again and ready";
    }

    async Task<string> RestartAsync(string verb, string detail)
    {
        log($"infra-ctl.sh {verb}");
        await InfraControl.RunAsync(verb, TimeSpan.FromSeconds(150));
        return detail;
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
        return $"every call slow:{SlowMs} for {SlowPhase.TotalSeconds:0} s (attempt timeout {ChaosCluster.StartToCloseTimeout.TotalSeconds:0} s), then 503 for {FailingPhase.TotalSeconds:0} s";
    }

    static async Task SetAsync(HttpClient sim, string step, TimeSpan duration)
    {
        using var response = await sim.PutAsJsonAsync(new Uri("admin/fault", UriKind.Relative), new { step, seconds = duration.TotalSeconds });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the simulated model refused the outage {step}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
