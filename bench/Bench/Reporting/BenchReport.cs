using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Orchestrator.Bench.Reporting;

/// <summary>
/// Puts one bench.sh run together: every part's JSON from the run's folder into one results file, a Markdown table, and
/// the summary line (the last stdout line). ratioToFloor = end-to-end requests/s ÷ min(PostgreSQL commits/s ÷ commits
/// per request, MassTransit msgs/s ÷ broker messages routed to a queue per request), both per-request counts measured in the same run.
/// </summary>
public static class BenchReport
{
    /// <summary>The worker's default <c>Workers:ConcurrencyLimit</c>: calls one worker process makes at once.</summary>
    const int WorkerInFlightLimit = 64;

    public static string Write(string directory, string mode, string output)
    {
        var parts = new JsonObject();
        foreach (var file in Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(file).Trim();
            var last = text.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'))
                ?? throw new InvalidOperationException($"{file} holds no JSON result line");
            parts[Path.GetFileNameWithoutExtension(file)] = JsonNode.Parse(last);
        }

        var pg = Require(parts, "floor-pg");
        var mt = Require(parts, "floor-mt");
        var e2e = Require(parts, "e2e-0ms");
        var faults = parts["faults"];

        var floorTx = Number(pg, "commitsPerSec");
        // The fastest of the MassTransit shapes the run tried is the floor; the slowest is reported beside it.
        var mtRates = parts.Where(p => p.Key.StartsWith("floor-mt", StringComparison.Ordinal)).Select(p => Number(p.Value, "msgsPerSec")).OfType<double>().ToList();
        var floorMt = mtRates.Count > 0 ? mtRates.Max() : Number(mt, "msgsPerSec");
        var summary = new JsonObject
        {
            ["mode"] = mode,
            ["finishedAtUtc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["e2eRequestsPerSec"] = Number(e2e, "saturated.requestsPerSec"),
            ["floorTxPerSec"] = floorTx,
            ["floorMtMsgsPerSec"] = floorMt,
            ["floorMtSlowestMsgsPerSec"] = mtRates.Count > 0 ? mtRates.Min() : null,
            ["floorMtShapes"] = mtRates.Count,
            ["floorRabbitMsgsPerSec"] = Number(parts["floor-rabbit"], "msgsPerSec"),
        };
        var (tx, msgs, floorRequests, ratio) = Ratio(e2e, floorTx, floorMt);
        summary["txPerRequest"] = tx;
        summary["msgsPerRequest"] = msgs;
        summary["floorRequestsPerSec"] = floorRequests;
        summary["ratioToFloor"] = ratio;
        summary["overheadP50Ms"] = Number(e2e, "paced.latency.overheadP50Ms");
        summary["overheadP95Ms"] = Number(e2e, "paced.latency.overheadP95Ms");
        summary["overheadP99Ms"] = Number(e2e, "paced.latency.overheadP99Ms");
        summary["pacedRequestsPerSec"] = Number(e2e, "paced.targetRatePerSec");
        summary["faultsRequestsPerSec"] = Number(faults, "saturated.requestsPerSec");
        summary["faultsThroughputRatio"] = Divide(Number(faults, "saturated.requestsPerSec"), Number(e2e, "saturated.requestsPerSec"), 2);
        summary["retriesPerSec"] = Number(faults, "saturated.retriesPerSec");
        // Timer lateness below saturation (the paced run) when there is one: at saturation it also measures the queue
        // of messages in front of the saga, which the saturated figures keep as timerLatenessSaturatedP99Ms.
        var lateness = faults?["paced"] is JsonObject ? "paced" : "saturated";
        summary["timerLatenessP50Ms"] = Number(faults, $"{lateness}.timerLatenessP50Ms");
        summary["timerLatenessP99Ms"] = Number(faults, $"{lateness}.timerLatenessP99Ms");
        summary["timerLatenessSaturatedP99Ms"] = Number(faults, "saturated.timerLatenessP99Ms");
        summary["faultsBounces"] = Number(faults, "saturated.resilience.bounces");
        summary["orchestratorRssMb"] = MaxRss(e2e, "orchestrator");
        summary["workerRssMb"] = MaxRss(e2e, "worker");
        if (parts["e2e-200ms"] is { } slow)
        {
            var slowRate = Number(slow, "saturated.requestsPerSec");
            summary["e2e200msRequestsPerSec"] = slowRate;
            // The issue's target: one worker is not capped by threads when the 200 ms run reaches 80% of
            // min(its in-flight limit / 0.2 s, the 0 ms throughput). The worker's limit is its default, 64.
            var cap = Number(e2e, "saturated.requestsPerSec") is { } fast ? Math.Min(WorkerInFlightLimit / 0.2, fast) : (double?)null;
            summary["e2e200msRatioToCap"] = Divide(slowRate, cap, 2);
            summary["scale2OrchestratorsRatio"] = Divide(Number(parts["scale-2-orchestrators"], "saturated.requestsPerSec"), slowRate, 2);
            summary["scale3WorkersRatio"] = Divide(Number(parts["scale-3-workers"], "saturated.requestsPerSec"), slowRate, 2);
        }
        if (parts["embedded"] is { } embedded)
            summary["embeddedRequestsPerSec"] = Number(embedded, "requestsPerSec");
        if (parts["backlog"] is { } backlog)
        {
            summary["backlogSubmissionsPerSec"] = Number(backlog, "submissionsPerSec");
            summary["backlogAttemptsTimedOut"] = Number(backlog, "attemptsTimedOut");
            summary["backlogOrchestratorPeakRssMb"] = Number(backlog, "orchestratorPeakRssMb");
            summary["backlogListP95Ms"] = Number(backlog, "listP95Ms");
            summary["backlogCountsP95Ms"] = Number(backlog, "countsP95Ms");
            summary["backlogDrainSeconds"] = Number(backlog, "drainSeconds");
        }
        if (parts["batch-10k"] is { } batch)
        {
            summary["batch10kAcceptSeconds"] = Number(batch, "acceptSeconds");
            summary["batch10kResultsSeconds"] = Number(batch, "resultsSeconds");
        }
        if (parts["batch-100k"] is { } bigBatch)
        {
            summary["batch100kAcceptSeconds"] = Number(bigBatch, "acceptSeconds");
            summary["batch100kOrchestratorPeakRssMb"] = Number(bigBatch, "peakRssAcceptingMb");
        }

        var results = new JsonObject { ["summary"] = summary, ["parts"] = parts };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, results.ToJsonString(BenchJson.Options) + "\n");

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Floors (same servers, same run): PostgreSQL {F(floorTx)} commits/s ({F(Number(pg, "lifecyclesPerSec"))} saga lifecycles/s, 16 connections); " +
            $"RabbitMQ.Client {F(Number(parts["floor-rabbit"], "msgsPerSec"))} msgs/s; MassTransit {F(floorMt)} msgs/s (best of {mtRates.Count} shapes, slowest {F(mtRates.Count > 0 ? mtRates.Min() : null)})");
        table.AppendLine();
        table.AppendLine("| run | orch/workers | model ms | faults | req/s | tx/req | msgs/req | floor req/s | ratioToFloor | overhead p50/p95/p99 ms (paced at req/s) | p50 to worker / back ms | retries/s | timer lateness p50/p99 ms saturated (paced) | RSS orch/worker MB |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, node) in parts)
        {
            if (node?["saturated"] is null)
                continue;
            var (t, m, f, r) = Ratio(node, floorTx, floorMt);
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {node["orchestrators"]}/{node["workers"]} | {node["modelLatencyMs"]} | {node["faultRate"]} | {F(Number(node, "saturated.requestsPerSec"))} | {F(t)} | {F(m)} | {F(f)} | {F(r)} | " +
                $"{F(Number(node, "paced.latency.overheadP50Ms"))}/{F(Number(node, "paced.latency.overheadP95Ms"))}/{F(Number(node, "paced.latency.overheadP99Ms"))} ({F(Number(node, "paced.targetRatePerSec"))}) | " +
                $"{F(Number(node, "paced.latency.toWorkerP50Ms"))}/{F(Number(node, "paced.latency.backP50Ms"))} | " +
                $"{F(Number(node, "saturated.retriesPerSec"))} | {F(Number(node, "saturated.timerLatenessP50Ms"))}/{F(Number(node, "saturated.timerLatenessP99Ms"))} " +
                $"({F(Number(node, "paced.timerLatenessP50Ms"))}/{F(Number(node, "paced.timerLatenessP99Ms"))}) | {F(MaxRss(node, "orchestrator"))}/{F(MaxRss(node, "worker"))} |");
        }
        if (parts["embedded"] is { } e)
            table.AppendLine(CultureInfo.InvariantCulture, $"| embedded (SQLite, one process) | 1/in-process | 0 | 0 | {F(Number(e, "requestsPerSec"))} | | | | | | | | | |");
        var resilient = parts.Where(p => p.Value?["saturated"]?["resilience"] is JsonObject).ToList();
        if (resilient.Count > 0)
        {
            // What breakers and cooldowns cost each run: a bounce is an invoke refused without a call (a saga transaction
            // and a re-dispatch each); a held invoke waited in its worker for an endpoint instead.
            table.AppendLine();
            table.AppendLine("| run | breaker openings | Retry-After cooldowns | breaker cooldowns | bounces | invokes held by workers | dispatches held |");
            table.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var (name, node) in resilient)
            {
                var r = node!["saturated"]!["resilience"]!;
                table.AppendLine(CultureInfo.InvariantCulture,
                    $"| {name} | {F(Number(r, "breakerOpenings"))} | {F(Number(r, "retryAfterCooldowns"))} | {F(Number(r, "breakerCooldowns"))} | {F(Number(r, "bounces"))} | " +
                    $"{F(Number(r, "heldInvokes"))} | {F(Number(r, "heldDispatches"))} |");
            }
        }
        if (parts["backlog"] is { } b)
        {
            var done = b["completedByPriority"]?.AsObject().Select(p => $"{p.Key}: {p.Value}") ?? [];
            var wait = b["medianWaitMsByPriority"]?.AsObject().Select(p => $"{p.Key}: {F(p.Value?.GetValue<double?>() / 1000)} s") ?? [];
            table.AppendLine();
            table.AppendLine(CultureInfo.InvariantCulture,
                $"Backlog: {b["requests"]} requests at {F(Number(b, "submissionsPerSec"))}/s against a {b["modelLatencyMs"]} ms model, {b["workerConcurrency"]} calls in flight; " +
                $"in the {b["observeSeconds"]} s after the last submit {b["completedInWindow"]} completed (by priority {string.Join(", ", done)}; median wait {string.Join(", ", wait)}), " +
                $"{b["attemptsTimedOut"]} attempts timed out, list/counts p95 {F(Number(b, "listP95Ms"))}/{F(Number(b, "countsP95Ms"))} ms, orchestrator peak RSS {F(Number(b, "orchestratorPeakRssMb"))} MB; " +
                $"bulk cancel of {b["cancelled"]} in {F(Number(b, "cancelSeconds"))} s, drained in {F(Number(b, "drainSeconds"))} s with {b["modelCallsAfterCancel"]} model calls after it.");
        }
        foreach (var name in new[] { "batch-10k", "batch-100k" })
        {
            if (parts[name] is not { } r)
                continue;
            table.AppendLine();
            var accepted = string.Create(CultureInfo.InvariantCulture,
                $"Batch {name}: {r["lines"]} lines ({F(Number(r, "fileMb"))} MB) accepted in {F(Number(r, "acceptSeconds"))} s, orchestrator RSS {F(Number(r, "rssBeforeMb"))} MB before, peak {F(Number(r, "peakRssAcceptingMb"))} MB while accepting");
            var finished = r["completeSeconds"] is null ? "" : string.Create(CultureInfo.InvariantCulture,
                $"; completed {F(Number(r, "completeSeconds"))} s later (peak {F(Number(r, "peakRssCompletingMb"))} MB); results ({r["resultLines"]} lines, {F(Number(r, "resultsMb"))} MB) streamed in {F(Number(r, "resultsSeconds"))} s, RSS {F(Number(r, "rssAtResultsStartMb"))} MB at the start, peak {F(Number(r, "peakRssResultsMb"))} MB");
            table.AppendLine(accepted + finished + ".");
        }
        table.AppendLine();
        table.AppendLine(CultureInfo.InvariantCulture, $"Results: {output}");
        table.Append(summary.ToJsonString(BenchJson.Options));
        return table.ToString();
    }

    static (double? Tx, double? Msgs, double? FloorRequests, double? Ratio) Ratio(JsonNode run, double? floorTx, double? floorMt)
    {
        var tx = Number(run, "saturated.txPerRequest");
        // Messages a queue received: the outcome event, which no queue of the bench's deployment binds, is published but
        // never routed, and a floor message is one that a consumer takes.
        var msgs = Number(run, "saturated.routedPerRequest") ?? Number(run, "saturated.msgsPerRequest");
        var byDb = Divide(floorTx, tx, 1);
        var byBus = Divide(floorMt, msgs, 1);
        var floor = byDb is { } a && byBus is { } b ? Math.Min(a, b) : byDb ?? byBus;
        return (tx, msgs, floor, Divide(Number(run, "saturated.requestsPerSec"), floor, 3));
    }

    static JsonNode Require(JsonObject parts, string name) =>
        parts[name] ?? throw new InvalidOperationException($"the run has no result for {name} (missing {name}.json)");

    static double? Number(JsonNode? node, string path)
    {
        foreach (var step in path.Split('.'))
            node = node?[step];
        return node is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;
    }

    static double? MaxRss(JsonNode? run, string prefix) =>
        run?["peakRssMb"] is JsonObject rss
            ? rss.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Select(p => p.Value is JsonValue v && v.TryGetValue<double>(out var mb) ? mb : (double?)null).Max()
            : null;

    static double? Divide(double? a, double? b, int digits) =>
        a is { } x && b is { } y && y > 0 ? Math.Round(x / y, digits) : null;

    static string F(double? value) => value is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : "–";
}
