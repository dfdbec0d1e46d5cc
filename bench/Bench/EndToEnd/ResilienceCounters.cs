using System.Globalization;

namespace Orchestrator.Bench.EndToEnd;

/// <summary>
/// What the breakers and cooldowns cost a run, from the processes' own Prometheus counters (<c>GET /metrics</c>),
/// summed over every orchestrator and every worker: read before and after a run, the difference is that run's.
/// </summary>
public static class ResilienceCounters
{
    /// <summary>Reads every process's <c>/metrics</c>; a process that does not answer counts as zero.</summary>
    public static async Task<ResilienceSnapshot> ReadAsync(HttpClient http, IEnumerable<BenchProcess> orchestrators, IEnumerable<BenchProcess> workers,
        CancellationToken cancel)
    {
        var snapshot = new ResilienceSnapshot();
        foreach (var worker in workers)
        {
            var text = await ScrapeAsync(http, worker, cancel);
            snapshot.Openings += Sum(text, "worker_endpoint_breaker_transitions_total", ("state", "Open"));
            snapshot.RetryAfterCooldowns += Sum(text, "worker_endpoint_cooldowns_total", ("cause", "retry-after"));
            snapshot.BreakerCooldowns += Sum(text, "worker_endpoint_cooldowns_total", ("cause", "breaker-open"));
            snapshot.Bounces += Sum(text, "orchestrator_attempts_total", ("failure_kind", "CircuitOpen"));
            snapshot.HeldInvokes += Sum(text, "worker_invokes_held_total");
        }
        foreach (var orchestrator in orchestrators)
            snapshot.HeldDispatches += Sum(await ScrapeAsync(http, orchestrator, cancel), "orchestrator_dispatch_held_total");
        return snapshot;
    }

    static async Task<string> ScrapeAsync(HttpClient http, BenchProcess process, CancellationToken cancel)
    {
        try
        {
            return await http.GetStringAsync(new Uri(process.BaseUrl, "metrics"), cancel);
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    /// <summary>The sum of a counter's series whose labels include every one of <paramref name="labels"/>.</summary>
    public static long Sum(string exposition, string name, params (string Key, string Value)[] labels)
    {
        double total = 0;
        foreach (var raw in exposition.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(name, StringComparison.Ordinal))
                continue;
            var rest = line[name.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' '))
                continue;
            var close = rest.IndexOf('}', StringComparison.Ordinal);
            var series = rest[0] == '{' && close > 0 ? rest[..(close + 1)] : "";
            if (labels.Any(l => !series.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
                continue;
            var fields = rest[(series.Length)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                total += value;
        }
        return (long)Math.Round(total);
    }
}

/// <summary>Counters summed over the processes of a run.</summary>
public sealed class ResilienceSnapshot
{
    public long Openings { get; set; }
    public long RetryAfterCooldowns { get; set; }
    public long BreakerCooldowns { get; set; }
    public long Bounces { get; set; }
    public long HeldInvokes { get; set; }
    public long HeldDispatches { get; set; }

    public ResilienceFigures Since(ResilienceSnapshot before) => new(
        Openings - before.Openings,
        RetryAfterCooldowns - before.RetryAfterCooldowns,
        BreakerCooldowns - before.BreakerCooldowns,
        Bounces - before.Bounces,
        HeldInvokes - before.HeldInvokes,
        HeldDispatches - before.HeldDispatches);
}
