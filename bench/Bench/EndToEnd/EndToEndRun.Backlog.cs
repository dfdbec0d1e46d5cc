using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace Orchestrator.Bench.EndToEnd;

/// <summary>What a backlog run measured (<see cref="EndToEndRun.RunBacklogAsync"/>).</summary>
public sealed record BacklogResult(
    string Name,
    DateTime StartedAtUtc,
    int Requests,
    int ModelLatencyMs,
    int WorkerConcurrency,
    IReadOnlyDictionary<string, string> NonDefaults,
    double SubmitSeconds,
    double SubmissionsPerSec,
    int ObserveSeconds,
    IReadOnlyDictionary<int, long> CompletedByPriority,
    IReadOnlyDictionary<int, double?> MedianWaitMsByPriority,
    long CompletedInWindow,
    long AttemptsTimedOut,
    double? ListP95Ms,
    double? CountsP95Ms,
    double? OrchestratorPeakRssMb,
    long Cancelled,
    double CancelSeconds,
    double DrainSeconds,
    long ModelCallsAfterCancel);

public sealed partial class EndToEndRun
{
    /// <summary>
    /// A backlog far larger than the fleet serves in the attempt timeout: <see cref="EndToEndSettings.Requests"/>
    /// submitted (priorities 1 to 5 in turn) against a slow model, then watched for <paramref name="observe"/> after
    /// the last submit (completions by priority, list and counts latency, the orchestrator's RSS, attempts timed out),
    /// then bulk-cancelled and watched until nothing is left to run and the work queue is empty.
    /// </summary>
    public static Task<BacklogResult> RunBacklogAsync(EndToEndSettings settings, TimeSpan observe, CancellationToken cancel) =>
        RunBoundedAsync(settings, (run, token) => run.BacklogAsync(observe, token), cancel);

    async Task<BacklogResult> BacklogAsync(TimeSpan observe, CancellationToken cancel)
    {
        var started = DateTime.UtcNow;
        await StartClusterAsync(cancel);
        _probe = new Npgsql.NpgsqlConnection(_connectionString);
        await _probe.OpenAsync(cancel);
        var orchestrator = _orchestrators[0];
        double? peakRss = null;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                if (orchestrator.RssMb() is { } rss)
                    peakRss = Math.Max(peakRss ?? 0, rss);
                await Task.Delay(1000, sampling.Token).ConfigureAwait(false);
            }
        }, sampling.Token);

        var n = _settings.Requests;
        Progress.Say($"{_settings.Name}: submitting {n} requests, {_settings.SubmitConcurrency} in flight, model at {_settings.ModelLatencyMs} ms");
        var submitClock = Stopwatch.StartNew();
        await SubmitAllAsync("backlog", n, cancel, i => 1 + i % 5);
        var submitSeconds = submitClock.Elapsed.TotalSeconds;
        var lastSubmit = DateTime.UtcNow;
        Progress.Say($"{_settings.Name}: submitted in {submitSeconds:F1} s ({n / submitSeconds:F0}/s); watching for {observe.TotalSeconds:F0} s");

        var list = new List<double>();
        var counts = new List<double>();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < observe)
        {
            list.Add(await TimedGetAsync(orchestrator, "api/requests?limit=50", cancel));
            counts.Add(await TimedGetAsync(orchestrator, "api/counts", cancel));
            await Task.Delay(TimeSpan.FromSeconds(5), cancel);
        }

        var byPriority = await QueryAsync("""
            SELECT priority, count(*) FILTER (WHERE state = 'Succeeded'),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at) * 1000)
                       FILTER (WHERE state = 'Succeeded')
            FROM inference_requests WHERE request_id LIKE 'backlog-%' GROUP BY priority ORDER BY priority
            """, r => (Priority: r.GetInt32(0), Done: r.GetInt64(1), Median: NullableDouble(r, 2)), cancel);
        var timedOut = (await QueryAsync("SELECT count(*) FROM inference_attempts WHERE outcome = 'TimedOut'", r => r.GetInt64(0), cancel)).Single();
        var callsBefore = await ModelCallsAsync(cancel);

        Progress.Say($"{_settings.Name}: bulk-cancelling what has not finished");
        var cancelClock = Stopwatch.StartNew();
        foreach (var state in new[] { "Pending", "RetryScheduled", "Processing" })
        {
            while (true)
            {
                using var response = await _http.PostAsJsonAsync(new Uri(orchestrator.BaseUrl, "api/requests/bulk/cancel"),
                    new { filter = new { state, idPrefix = "backlog-" }, reason = "backlog bench: bulk cancel" }, cancel);
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Accepted))
                    throw new InvalidOperationException($"bulk cancel: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancel)}");
                var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(cancel);
                if (!body.GetProperty("more").GetBoolean())
                    break;
            }
        }
        var cancelSeconds = cancelClock.Elapsed.TotalSeconds;
        await WaitDrainedAsync(cancel);
        var drainSeconds = cancelClock.Elapsed.TotalSeconds;
        var callsAfter = await ModelCallsAsync(cancel) - callsBefore;
        await sampling.CancelAsync();
        try
        {
            await sampler;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        Progress.Say($"{_settings.Name}: bulk cancel accepted in {cancelSeconds:F1} s; drained in {drainSeconds:F1} s, {callsAfter} model calls after the cancel");

        // Each bulk call reports what it accepted, and a request whose cancel is still on its way is matched again by
        // the next call: the rows say how many were cancelled.
        var cancelledTotal = (await QueryAsync("SELECT count(*) FROM inference_requests WHERE request_id LIKE 'backlog-%' AND state = 'Cancelled'",
            r => r.GetInt64(0), cancel)).Single();
        var window = (await QueryAsync($"SELECT count(*) FROM inference_requests WHERE request_id LIKE 'backlog-%' AND state = 'Succeeded' AND completed_at > '{lastSubmit:O}'",
            r => r.GetInt64(0), cancel)).Single();
        return new BacklogResult(_settings.Name, started, n, _settings.ModelLatencyMs,
            int.Parse(_settings.ProcessEnvironment.GetValueOrDefault("Workers__ConcurrencyLimit", "0"), CultureInfo.InvariantCulture),
            NonDefaults(), Math.Round(submitSeconds, 1), Math.Round(n / submitSeconds, 1), (int)observe.TotalSeconds,
            byPriority.ToDictionary(p => p.Priority, p => p.Done), byPriority.ToDictionary(p => p.Priority, p => Round1(p.Median)),
            window, timedOut, Round1(Percentiles.Of(list, 0.95)), Round1(Percentiles.Of(counts, 0.95)), peakRss is { } peak ? Math.Round(peak, 1) : null,
            cancelledTotal, Math.Round(cancelSeconds, 1), Math.Round(drainSeconds, 1), callsAfter);
    }

    async Task<double> TimedGetAsync(BenchProcess target, string path, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        using var response = await _http.GetAsync(new Uri(target.BaseUrl, path), cancel);
        await response.Content.ReadAsByteArrayAsync(cancel);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode}");
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Calls the simulated model answered so far (its /stats).</summary>
    async Task<long> ModelCallsAsync(CancellationToken cancel)
    {
        var model = _processes.Single(p => p.Name == "simulated-model");
        var stats = await _http.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri(model.BaseUrl, "stats"), cancel);
        return stats.GetProperty("totalCalls").GetInt64();
    }

    /// <summary>Until no backlog request is left to run and the work queue holds nothing (bounded by the run's timeout).</summary>
    async Task WaitDrainedAsync(CancellationToken cancel)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = _settings.Broker };
        await using var connection = await factory.CreateConnectionAsync(cancel);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancel);
        while (true)
        {
            var open = (await QueryAsync("""
                SELECT count(*) FROM inference_requests
                WHERE request_id LIKE 'backlog-%' AND state IN ('Pending', 'Processing', 'RetryScheduled')
                """, r => r.GetInt64(0), cancel)).Single();
            if (open == 0 && (await channel.QueueDeclarePassiveAsync("invoke-model", cancel)).MessageCount == 0)
                return;
            await Task.Delay(1000, cancel);
        }
    }
}
