using System.Collections.Concurrent;
using System.Globalization;
using Orchestrator.Contracts;

namespace Orchestrator.Fleet;

/// <summary>
/// What this orchestrator knows of the workers and their endpoints, from <see cref="WorkerHeartbeat"/> and
/// <see cref="EndpointCoolingDown"/> (every orchestrator hears all of them on a queue of its own). It answers two
/// questions: is every endpoint of a model cooling down (then dispatches of that model are held), and what operators
/// see on the dashboard. Kept in memory: after a restart the next heartbeats rebuild it within one interval, and workers
/// honour cooldowns themselves meanwhile. Thread-safe.
/// </summary>
public sealed class FleetView(TimeProvider clock)
{
    readonly ConcurrentDictionary<string, EndpointCoolingDown> _cooldowns = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, WorkerHeartbeat> _workers = new(StringComparer.Ordinal);

    public void Heard(EndpointCoolingDown cooldown) =>
        _cooldowns.AddOrUpdate(cooldown.Endpoint, cooldown, (_, known) => cooldown.Until > known.Until ? cooldown : known);

    public void Heard(WorkerHeartbeat heartbeat)
    {
        if (heartbeat.Stopping)
            _workers.TryRemove(heartbeat.WorkerId, out _);
        else
            _workers.AddOrUpdate(heartbeat.WorkerId, heartbeat, (_, known) => heartbeat.At >= known.At ? heartbeat : known);
    }

    /// <summary>
    /// When every endpoint that live workers report for <paramref name="model"/> is cooling down: until when the first
    /// of them is free again, and why. Null when one is free, or when no worker has reported the model yet.
    /// </summary>
    public ModelHold? HoldFor(string model)
    {
        var now = clock.GetUtcNow();
        List<(string Endpoint, DateTimeOffset Until, string Why)>? cooling = null;
        HashSet<string>? seen = null;
        foreach (var worker in Live(now))
        {
            foreach (var report in worker.Endpoints)
            {
                if (!string.Equals(report.Model, model, StringComparison.Ordinal) || !(seen ??= new(StringComparer.Ordinal)).Add(report.Endpoint))
                    continue;
                if (CoolingUntil(report.Endpoint, now) is not { } until)
                    return null;
                (cooling ??= []).Add((report.Endpoint, until.Until, until.Why));
            }
        }
        if (cooling is null)
            return null;
        var first = cooling.Min(c => c.Until);
        var why = string.Join("; ", cooling.Select(c => $"{c.Endpoint} until {c.Until.ToString("O", CultureInfo.InvariantCulture)} ({c.Why})"));
        return new ModelHold(first, $"every endpoint of model '{model}' is cooling down: {why}");
    }

    /// <summary>Workers, endpoints and model holds now, for the API and the dashboard.</summary>
    public FleetSnapshot Snapshot()
    {
        var now = clock.GetUtcNow();
        var live = Live(now).OrderBy(w => w.WorkerId, StringComparer.Ordinal).ToList();
        var endpoints = live
            .SelectMany(w => w.Endpoints.Select(e => (Worker: w, Report: e)))
            .GroupBy(x => (x.Report.Model, x.Report.Endpoint))
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Min(x => x.Report.Priority)).ThenBy(g => g.Key.Endpoint, StringComparer.Ordinal)
            .Select(g =>
            {
                var cooling = CoolingUntil(g.Key.Endpoint, now);
                return new FleetEndpoint(
                    g.Key.Model, g.Key.Endpoint, g.Min(x => x.Report.Priority),
                    cooling?.Until, cooling?.Why,
                    g.Sum(x => x.Report.InFlight), g.First().Report.MaxInFlight, g.First().Report.RequestsPerMinute,
                    g.Select(x => new WorkerBreaker(x.Worker.WorkerId, x.Report.Breaker, x.Report.OpenUntil)).ToList())
                {
                    // From the heartbeats rather than the attempts table: each worker already reports its endpoints live
                    // every few seconds, so the fleet's last minute is a sum here instead of a scan of recent attempts
                    // per page view; and it counts what the endpoint reported, failed attempts with usage included.
                    TokensPerMinute = g.First().Report.TokensPerMinute,
                    PromptTokensLastMinute = g.Sum(x => x.Report.PromptTokensLastMinute),
                    CompletionTokensLastMinute = g.Sum(x => x.Report.CompletionTokensLastMinute),
                };
            })
            .ToList();
        var holds = endpoints.Select(e => e.Model).Distinct(StringComparer.Ordinal)
            .Select(m => HoldFor(m) is { } hold ? new FleetHold(m, hold.Until, hold.Reason) : null)
            .OfType<FleetHold>()
            .ToList();
        return new FleetSnapshot(
            now,
            live.Select(w => new FleetWorker(w.WorkerId, w.At, w.Interval.TotalSeconds, w.ConcurrencyLimit, w.Endpoints.Sum(e => e.InFlight))).ToList(),
            endpoints,
            holds);
    }

    IEnumerable<WorkerHeartbeat> Live(DateTimeOffset now)
    {
        foreach (var (id, worker) in _workers)
        {
            if (worker.IsLiveAt(now))
                yield return worker;
            else
                _workers.TryRemove(id, out _);
        }
    }

    /// <summary>The latest running cooldown of an endpoint: from the events, or from what a worker's heartbeat says it honours.</summary>
    (DateTimeOffset Until, string Why)? CoolingUntil(string endpoint, DateTimeOffset now)
    {
        (DateTimeOffset Until, string Why)? best = null;
        if (_cooldowns.TryGetValue(endpoint, out var cooldown) && cooldown.Until > now)
            best = (cooldown.Until, $"{cooldown.Reason}, seen by {cooldown.WorkerId}");
        foreach (var worker in _workers.Values)
        {
            foreach (var report in worker.Endpoints)
            {
                if (report.CoolingUntil is { } until && until > now && string.Equals(report.Endpoint, endpoint, StringComparison.Ordinal) &&
                    (best is null || until > best.Value.Until))
                {
                    best = (until, report.CoolingReason ?? "cooling down");
                }
            }
        }
        return best;
    }
}

/// <summary>Dispatches of a model wait until <see cref="Until"/>, because every endpoint of it is cooling down.</summary>
public sealed record ModelHold(DateTimeOffset Until, string Reason);

public sealed record FleetSnapshot(DateTimeOffset At, IReadOnlyList<FleetWorker> Workers, IReadOnlyList<FleetEndpoint> Endpoints, IReadOnlyList<FleetHold> Holds);

public sealed record FleetWorker(string WorkerId, DateTimeOffset LastSeen, double HeartbeatSeconds, int ConcurrencyLimit, int InFlight);

public sealed record FleetEndpoint(
    string Model, string Endpoint, int Priority, DateTimeOffset? CoolingUntil, string? CoolingReason,
    int InFlight, int? MaxInFlightPerWorker, int? RequestsPerMinute, IReadOnlyList<WorkerBreaker> Breakers)
{
    /// <summary>The endpoint's fleet-wide token limit; null = none.</summary>
    public int? TokensPerMinute { get; init; }

    /// <summary>Prompt tokens the live workers' calls used in the last minute, by the answers' usage.</summary>
    public long PromptTokensLastMinute { get; init; }

    /// <summary>Completion tokens the live workers' calls used in the last minute.</summary>
    public long CompletionTokensLastMinute { get; init; }
}

public sealed record WorkerBreaker(string WorkerId, string State, DateTimeOffset? OpenUntil);

public sealed record FleetHold(string Model, DateTimeOffset Until, string Reason);
