using System.Diagnostics;
using Orchestrator.TestSupport;

namespace Orchestrator.Bench.EndToEnd;

/// <summary>One run of the callbacks bench (<see cref="EndToEndRun.RunCallbacksAsync"/>).</summary>
public sealed record CallbacksRun(
    string Name,
    bool Hung,
    DateTime StartedAtUtc,
    int Requests,
    int Others,
    double? RequestsPerSec,
    double? CompletionP50Ms,
    double? CompletionP99Ms,
    int Delivered,
    double? DeliveryP50Ms,
    double? DeliveryP99Ms,
    double? DeliveryMaxMs,
    int OthersDelivered,
    int HungConnections,
    double DeliveriesSeconds);

public sealed partial class EndToEndRun
{
    // A fixed key: the receivers verify nothing, and what it signs never leaves 127.0.0.1.
    const string SigningSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    /// <summary>
    /// The production shape with callbacks: <paramref name="requests"/> requests whose callbacks go to a healthy
    /// receiver, interleaved with <paramref name="others"/> whose callbacks go to a receiver that accepts connections and
    /// never answers (<paramref name="hung"/>) or, for the control run, to a second healthy receiver. Measures the
    /// healthy requests' throughput and completion latency (<c>completed_at − created_at</c>) and the delay from each
    /// healthy event's creation (<c>callback_events.created_at</c>) to its arrival at the receiver.
    /// </summary>
    public static Task<CallbacksRun> RunCallbacksAsync(EndToEndSettings settings, int requests, int others, bool hung, CancellationToken cancel)
    {
        var environment = new Dictionary<string, string>(settings.ProcessEnvironment)
        {
            ["Orchestrator__Callbacks__SigningSecret"] = SigningSecret,
            ["Orchestrator__Callbacks__AllowedHosts__0"] = "127.0.0.1",
        };
        return RunBoundedAsync(settings with { ProcessEnvironment = environment }, (run, token) => run.CallbacksAsync(requests, others, hung, token), cancel);
    }

    async Task<CallbacksRun> CallbacksAsync(int requests, int others, bool hung, CancellationToken cancel)
    {
        var started = DateTime.UtcNow;
        await using var healthy = new CallbackReceiver();
        await using var control = new CallbackReceiver();
        using var hanging = new HangingReceiver();
        await StartClusterAsync(cancel);
        _probe = new Npgsql.NpgsqlConnection(_connectionString);
        await _probe.OpenAsync(cancel);

        // Every (total / others)-th request is one of the others, so both kinds are submitted (and finish) throughout.
        var total = requests + others;
        var every = others == 0 ? int.MaxValue : Math.Max(2, total / others);
        var plan = Enumerable.Range(0, total).Select(i => others > 0 && i % every == every - 1 && i / every < others).ToArray();
        Progress.Say($"{_settings.Name}: {requests} requests with a healthy receiver, {plan.Count(o => o)} with {(hung ? "a receiver that never answers" : "a second healthy receiver")}");
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(_settings.SubmitConcurrency, total)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var other = plan[i];
                var url = other ? (hung ? hanging.Url($"hook/{i}") : control.Url($"hook/{i}")) : healthy.Url($"hook/{i}");
                await SubmitAsync(other ? $"cbo-{i}" : $"cbh-{i}", i, cancel, callbackUrl: url);
            }
        }, cancel)));
        await WaitSettledAsync(total, cancel);

        // Every healthy event delivered (bounded: a deliverer that starves them shows as a shortfall, not a hang).
        var healthyCount = plan.Count(o => !o);
        var deliveries = Stopwatch.StartNew();
        while (healthy.Received.Select(r => r.WebhookId).Distinct().Count() < healthyCount && deliveries.Elapsed < TimeSpan.FromSeconds(180))
            await Task.Delay(250, cancel);
        var deliveriesSeconds = deliveries.Elapsed.TotalSeconds;

        var summary = (await QueryAsync("""
            SELECT count(*) / NULLIF(extract(epoch FROM max(completed_at) - min(created_at)), 0),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at) * 1000),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at) * 1000)
            FROM inference_requests WHERE request_id LIKE 'cbh-%' AND state = 'Succeeded'
            """, r => (Rate: NullableDouble(r, 0), P50: NullableDouble(r, 1), P99: NullableDouble(r, 2)), cancel)).Single();
        var created = (await QueryAsync("SELECT event_id, created_at FROM callback_events WHERE request_id LIKE 'cbh-%'",
            r => (Id: r.GetString(0), At: r.GetDateTime(1)), cancel)).ToDictionary(e => e.Id, e => e.At);
        // Each event's first arrival: a delivery is at least once.
        var delays = healthy.Received
            .GroupBy(r => r.WebhookId)
            .Where(g => created.ContainsKey(g.Key))
            .Select(g => (g.Min(r => r.ReceivedAt) - created[g.Key]).TotalMilliseconds)
            .ToList();
        var result = new CallbacksRun(_settings.Name, hung, started, healthyCount, total - healthyCount, Round1(summary.Rate), Round1(summary.P50), Round1(summary.P99),
            delays.Count, Percentiles.Of(delays, 0.5), Percentiles.Of(delays, 0.99), delays.Count == 0 ? null : Math.Round(delays.Max(), 1),
            control.Received.Select(r => r.WebhookId).Distinct().Count(), hanging.Connections, Math.Round(deliveriesSeconds, 1));
        Progress.Say($"{_settings.Name}: {result.RequestsPerSec} req/s, completion p50 {result.CompletionP50Ms} p99 {result.CompletionP99Ms} ms; " +
                     $"{result.Delivered}/{healthyCount} delivered, p50 {result.DeliveryP50Ms} p99 {result.DeliveryP99Ms} max {result.DeliveryMaxMs} ms; hung connections {result.HungConnections}");
        return result;
    }
}
