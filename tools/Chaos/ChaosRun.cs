using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Orchestrator.Chaos;

/// <summary>
/// One chaos run: start the cluster, submit the requests while the seeded schedule of faults strikes, let the system
/// settle, then check the evidence that each fault hit requests in flight and the invariants, print both as tables,
/// and end with <c>requests=N lost=0 duplicateTerminal=0 stuck=0 faults=K faultsHit=H redeliveries=R</c>.
/// </summary>
public sealed partial class ChaosRun(ChaosOptions options, string postgresOwner, string rabbitMq)
{
    /// <summary>Evidence in the logs is looked for this long after a fault ended (reconnects, sweeps that follow).</summary>
    static readonly TimeSpan LogGrace = TimeSpan.FromSeconds(15);

    const int PoisonedMessages = 3;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly string _runTag = Guid.NewGuid().ToString("N")[..8];

    void Log(string message) => Console.Error.WriteLine($"[chaos +{_clock.Elapsed.TotalSeconds,6:0.0}s] {message}");

    /// <returns>0 when every invariant held, 1 otherwise.</returns>
    public async Task<int> RunAsync()
    {
        var idPrefix = $"chaos-{_runTag}-";
        var schedule = FaultSchedule.Build(options);
        Log($"run {_runTag}: {options.Requests} requests over {options.SubmitWindow.TotalSeconds:0} s, seed {options.Seed}, " +
            $"faults {string.Join(", ", schedule.Select(f => $"{f.Kind}@{f.At.TotalSeconds:0.0}s"))}");

        var errorQueues = new ErrorQueues(rabbitMq);
        var errorsBefore = await errorQueues.DepthsAsync();
        await using var outcomes = await OutcomeCounter.StartAsync(rabbitMq, _runTag, idPrefix);
        await using var cluster = await ChaosCluster.StartAsync(postgresOwner, rabbitMq, _runTag, options.Seed, options.Full, orchestrators: 2, workers: 3, Log);
        var poisonMarker = $"chaos-poison-{_runTag}";
        await errorQueues.PoisonAsync(poisonMarker, PoisonedMessages);

        var random = new Random(options.Seed);
        using var submitter = new Submitter(cluster, Log);
        await using var sampler = new MetricSampler(cluster);
        sampler.Start();
        var started = Stopwatch.StartNew();
        var submitStart = DateTime.UtcNow;
        var faultsOver = 0;
        var submitting = submitter.RunAsync(i => $"{idPrefix}{i + 1:D5}", options.Requests, options.SubmitWindow,
            () => Volatile.Read(ref faultsOver) < schedule.Count, random, CancellationToken.None);
        // Each fault strikes at its own time, whether or not the one before is over (a restart that is slow on a
        // busy box overlaps the next fault): so all of them hit while requests are still arriving.
        var striking = schedule.Select((entry, index) => Task.Run(async () =>
        {
            if (entry.At > started.Elapsed)
                await Task.Delay(entry.At - started.Elapsed);
            Log($"fault {entry.Kind}");
            var record = await new FaultInjector(cluster, new Random(options.Seed * 31 + index), Log).InjectAsync(entry.Kind);
            Log($"fault {entry.Kind} over after {(record.EndedUtc - record.StartedUtc).TotalSeconds:0.0} s: {record.Detail}{record.Error}");
            Interlocked.Increment(ref faultsOver);
            return record;
        })).ToList();
        var faults = (await Task.WhenAll(striking)).OrderBy(f => f.StartedUtc).ToList();
        var ids = (await submitting).ToList();
        var lastFault = faults.Count > 0 ? faults.Max(f => f.EndedUtc) : DateTime.UtcNow;

        // Settle: every request terminal within the limit after the last fault (polled, bounded).
        var store = new RunStore(cluster.ConnectionString, idPrefix);
        var settleDeadline = lastFault + options.SettleLimit;
        Dictionary<string, RequestRow> rows;
        while (true)
        {
            rows = await ReadRowsAsync(store);
            var open = ids.Count(id => !rows.TryGetValue(id, out var row) || !row.IsTerminal);
            if (open == 0 || DateTime.UtcNow > settleDeadline)
                break;
            Log($"{open} requests not terminal yet");
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        // The outcome events of terminal requests may still be on their way to the independent consumer.
        var outcomeDeadline = DateTime.UtcNow.AddSeconds(30);
        while (rows.Values.Where(r => r.IsTerminal).Any(r => !outcomes.Tally.ByRequest.ContainsKey(r.RequestId)) && DateTime.UtcNow < outcomeDeadline)
            await Task.Delay(500);
        // Late duplicates (a redelivered message republished after the last look) still count: give them a moment.
        await Task.Delay(TimeSpan.FromSeconds(2));

        // Requests may still be moving: take the outcomes and the model's call counts first and the rows after them,
        // so an outcome or a call is never compared with a row read before it happened (the saga publishes an outcome
        // only after its terminal state committed); calls are judged for the requests terminal by then.
        var tallies = outcomes.Tally.ByRequest.ToDictionary(t => t.Key, t => t.Value.Snapshot(), StringComparer.Ordinal);
        var calls = await ModelCallsAsync(cluster);
        var final = await ReadRowsAsync(store);
        var evidence = await EvidenceAsync(faults, final, cluster, submitter, sampler, store);
        var checks = await CheckAsync(options, ids, rows, final, tallies, calls, submitter, faults, lastFault, outcomes, store, errorQueues, errorsBefore, poisonMarker);
        var hit = evidence.Count(e => e.Hit);
        var succeeded = faults.Count(f => f.Succeeded);
        checks.Add(new Check("every fault hit requests in flight (evidence)", $"{succeeded} of {succeeded}", $"{hit} of {succeeded}" +
            (hit < succeeded ? ": no evidence for " + string.Join(", ", evidence.Where(e => !e.Hit).Select(e => e.Fault.Kind)) : ""), hit == succeeded && succeeded > 0));
        Print(submitStart, evidence, checks, submitter, outcomes, rows, await store.AttemptSummaryAsync(), cluster.CrashedAtStart, cluster.HungAtStart);
        foreach (var hung in cluster.HungOutput)
            await Console.Error.WriteLineAsync($"[chaos] hung at start: {hung}");
        await PrintLongestWaitAsync(final, store);

        var lost = ids.Count(id => !rows.ContainsKey(id));
        var stuck = ids.Count(id => rows.TryGetValue(id, out var row) && !row.IsTerminal);
        var ok = checks.All(c => c.Ok);
        if (!ok)
            await Console.Error.WriteLineAsync($"[chaos] FAILED: {string.Join("; ", checks.Where(c => !c.Ok).Select(c => $"{c.Name}: expected {c.Expected}, got {c.Actual}"))}\n{cluster.Diagnostics}");
        Console.WriteLine($"requests={ids.Count} lost={lost} duplicateTerminal={outcomes.Tally.DuplicateTerminal} stuck={stuck} faults={succeeded} faultsHit={hit} redeliveries={outcomes.Tally.Redeliveries}");
        return ok ? 0 : 1;
    }

    /// <summary>What a fault left behind that shows it hit requests in flight, and whether that is enough.</summary>
    sealed record FaultEvidence(FaultRecord Fault, bool Hit, string Evidence, string? Sample, double Bounces);

    [System.Text.RegularExpressions.GeneratedRegex(@"(?i)rabbit|broker|amqp|confirm|publish")]
    private static partial System.Text.RegularExpressions.Regex BrokerTrouble();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?i)npgsql|postgres|57P0|sqlstate|database")]
    private static partial System.Text.RegularExpressions.Regex DatabaseTrouble();

    /// <summary>
    /// Each fault's evidence, from the database, the processes' counters and logs and the client's failed POSTs:
    /// a worker killed mid-call leaves its attempts timed out or abandoned; a killed orchestrator leaves messages the
    /// broker delivered again; a broker or database fault leaves warnings of failed publishes or transactions in the
    /// processes' logs, and requests in flight at the time that still completed; the model outage leaves attempts that
    /// timed out or got a 503.
    /// </summary>
    static async Task<List<FaultEvidence>> EvidenceAsync(List<FaultRecord> faults, Dictionary<string, RequestRow> rows, ChaosCluster cluster, Submitter submitter,
        MetricSampler sampler, RunStore store)
    {
        // The attempts a killed worker held end abandoned as soon as the broker hands their invokes to another worker,
        // or timed out when the start-to-close timeout passes.
        var attemptsSettle = cluster.AttemptTimeout + LogGrace;
        var evidence = new List<FaultEvidence>();
        foreach (var fault in faults.Where(f => f.Succeeded))
        {
            // Requests alive while the fault lasted (created before it ended, not done before it began) that completed.
            var inFlight = rows.Values.Count(r => r.CreatedAt < fault.EndedUtc && r.IsTerminal && r.CompletedAt > fault.StartedUtc);
            var posts = submitter.FailuresIn(fault.StartedUtc, fault.EndedUtc + LogGrace);
            var redelivered = sampler.Redelivered(fault.StruckUtc, fault.EndedUtc + LogGrace);
            var bounces = sampler.Bounces(fault.StartedUtc, fault.EndedUtc);
            List<(string Process, DateTime At, string Line)> Lines(System.Text.RegularExpressions.Regex pattern) =>
                cluster.Problems(fault.StartedUtc - TimeSpan.FromSeconds(1), fault.EndedUtc + LogGrace, pattern);
            static string? First(List<(string Process, DateTime At, string Line)> lines) =>
                lines.Count == 0 ? null : $"{lines[0].Process}: {(lines[0].Line.Length > 220 ? lines[0].Line[..220] : lines[0].Line)}";
            static string Processes(List<(string Process, DateTime At, string Line)> lines) =>
                string.Join("+", lines.Select(l => l.Process).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            switch (fault.Kind)
            {
                case FaultKind.KillWorker:
                    {
                        // An attempt already timed out when its worker died leaves no new row: its invoke, redelivered to
                        // another worker, is the trace then.
                        var lost = await store.AbandonedOrTimedOutAsync(fault.StruckUtc, fault.StruckUtc + attemptsSettle);
                        var handedOver = sampler.WorkerRedelivered(fault.StruckUtc, fault.EndedUtc + LogGrace);
                        evidence.Add(new FaultEvidence(fault, fault.MidCall && (lost > 0 || handedOver > 0),
                            $"{(fault.MidCall ? "killed holding model calls" : "killed with no call in flight")}; {lost} attempts abandoned or timed out after it; " +
                            $"{handedOver:0} invokes redelivered to the other workers", null, bounces));
                        break;
                    }
                case FaultKind.KillOrchestrator:
                    {
                        // Requests in flight meet the kill either as messages it had taken and not acknowledged
                        // (redelivered to the orchestrators) or as submissions it was answering (the client's POSTs
                        // to it failed and were sent again); a quick orchestrator may hold no message at the instant.
                        var failed = posts.GetValueOrDefault(fault.Victim!);
                        evidence.Add(new FaultEvidence(fault, redelivered > 0 || failed > 0,
                            $"{redelivered:0} messages redelivered to the orchestrators; {failed} POSTs to {fault.Victim} failed and were sent again", null, bounces));
                        break;
                    }
                case FaultKind.RestartRabbitMq or FaultKind.KillRabbitMq or FaultKind.HangRabbitMq:
                    {
                        var lines = Lines(BrokerTrouble());
                        var failed = posts.Values.Sum();
                        var unconfirmed = await store.UnconfirmedAsync(fault.StartedUtc, fault.EndedUtc + LogGrace);
                        evidence.Add(new FaultEvidence(fault, (lines.Count > 0 || failed > 0 || unconfirmed > 0) && inFlight > 0,
                            $"{lines.Count} broker warnings/errors logged ({Processes(lines)}); {unconfirmed} attempt commands unconfirmed and sent again; {failed} POSTs failed and were sent again; " +
                            $"{inFlight} requests in flight completed; {redelivered:0} redelivered", First(lines), bounces));
                        break;
                    }
                case FaultKind.RestartPostgres:
                    {
                        var lines = Lines(DatabaseTrouble());
                        evidence.Add(new FaultEvidence(fault, lines.Count > 0 && inFlight > 0,
                            $"{lines.Count} database warnings/errors logged ({Processes(lines)}); {posts.Values.Sum()} POSTs failed and were sent again; {inFlight} requests in flight completed", First(lines), bounces));
                        break;
                    }
                case FaultKind.ModelOutage:
                    {
                        var failed = await store.FailedByModelAsync(fault.StartedUtc, fault.EndedUtc);
                        evidence.Add(new FaultEvidence(fault, failed > 0, $"{failed} attempts started during it timed out or got a 503", null, bounces));
                        break;
                    }
                default:
                    throw new ArgumentOutOfRangeException(nameof(faults), fault.Kind, "unknown fault kind");
            }
        }
        return evidence;
    }

    /// <summary>The request that waited longest for its terminal state, and why: its attempts.</summary>
    static async Task PrintLongestWaitAsync(Dictionary<string, RequestRow> rows, RunStore store)
    {
        var longest = rows.Values.Where(r => r.IsTerminal && r.CompletedAt is not null).MaxBy(r => r.CompletedAt!.Value - r.CreatedAt);
        if (longest is null)
            return;
        Console.WriteLine($"Longest wait for a terminal state: {(longest.CompletedAt!.Value - longest.CreatedAt).TotalSeconds:0.0} s, {longest.RequestId} ({longest.State}, {longest.AttemptRows} attempts):");
        foreach (var line in await store.HistoryAsync(longest.RequestId))
            Console.WriteLine($"  {line}");
        Console.WriteLine();
    }

    async Task<Dictionary<string, RequestRow>> ReadRowsAsync(RunStore store)
    {
        // The database may still be recovering right after a restart: retry the read itself, bounded.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await store.RowsAsync();
            }
            catch (Npgsql.NpgsqlException exception) when (attempt < 30)
            {
                Log($"reading the requests failed ({exception.Message}); again in 1 s");
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    // rows: the requests when the settle time ran out (or all were terminal); final: read again after the outcome
    // events and the model's call counts.
    static async Task<List<Check>> CheckAsync(ChaosOptions options, List<string> ids, Dictionary<string, RequestRow> rows, Dictionary<string, RequestRow> final,
        Dictionary<string, (int Runs, int DuplicateRuns, int Redeliveries, int Raw, string Kinds)> tallies, Dictionary<string, long> calls, Submitter submitter, List<FaultRecord> faults, DateTime lastFault, OutcomeCounter outcomes, RunStore store, ErrorQueues errorQueues,
        IReadOnlyDictionary<string, uint> errorsBefore, string poisonMarker)
    {
        var checks = new List<Check>();
        static string Sample(IEnumerable<string> items) => string.Join(", ", items.Take(3));

        checks.Add(new Check("requests submitted", $">= {options.MinimumRequests}", $"{ids.Count} ({submitter.Duplicates} submitted twice)", ids.Count >= options.MinimumRequests));
        checks.Add(new Check("every submission accepted", "0 refused", submitter.Refused.Count == 0 ? "0 refused" : $"{submitter.Refused.Count} refused: {Sample(submitter.Refused)}", submitter.Refused.Count == 0));

        var kinds = Enum.GetValues<FaultKind>();
        var missingKinds = kinds.Where(k => !faults.Any(f => f.Kind == k && f.Succeeded)).ToList();
        checks.Add(new Check("every fault kind injected", $"{kinds.Length} kinds", missingKinds.Count == 0 ? $"{kinds.Length} kinds, {faults.Count(f => f.Succeeded)} faults" : $"missing {string.Join(", ", missingKinds)}", missingKinds.Count == 0));
        var workerKills = faults.Where(f => f.Kind == FaultKind.KillWorker && f.Succeeded).ToList();
        checks.Add(new Check("a worker killed while holding a model call", ">= 1", $"{workerKills.Count(f => f.MidCall)} of {workerKills.Count}", workerKills.Any(f => f.MidCall)));
        var failedFaults = faults.Where(f => !f.Succeeded).ToList();
        checks.Add(new Check("every fault carried out", "0 failed", failedFaults.Count == 0 ? "0 failed" : $"{failedFaults.Count} failed: {Sample(failedFaults.Select(f => $"{f.Kind}: {f.Error}"))}", failedFaults.Count == 0));

        var lost = ids.Where(id => !rows.ContainsKey(id)).ToList();
        checks.Add(new Check("no request lost (saga row per id)", "0", lost.Count == 0 ? "0" : $"{lost.Count}: {Sample(lost)}", lost.Count == 0));

        var duplicateSagas = await store.DuplicateSagasAsync();
        checks.Add(new Check("no duplicate saga per request id", "0", duplicateSagas.ToString(CultureInfo.InvariantCulture), duplicateSagas == 0));

        var stuck = rows.Values.Where(r => !r.IsTerminal).ToList();
        checks.Add(new Check($"terminal within {options.SettleLimit.TotalSeconds:0} s of the last fault", "0 not terminal",
            stuck.Count == 0 ? "0 not terminal" : $"{stuck.Count} not terminal: {Sample(stuck.Select(r => $"{r.RequestId} {r.State ?? "(no state)"}"))}", stuck.Count == 0));
        var lastCompleted = rows.Values.Where(r => r.CompletedAt is not null).Select(r => r.CompletedAt!.Value).DefaultIfEmpty(lastFault).Max();
        var afterLastFault = TimeSpan.FromTicks(Math.Max(0, (lastCompleted - lastFault).Ticks));
        checks.Add(stuck.Count == 0
            ? new Check("max time to terminal after the last fault", $"<= {options.SettleLimit.TotalSeconds:0} s", $"{afterLastFault.TotalSeconds:0.0} s", afterLastFault <= options.SettleLimit)
            : new Check("max time to terminal after the last fault", $"<= {options.SettleLimit.TotalSeconds:0} s", $"over: {stuck.Count} not terminal by then", false));

        var terminal = rows.Values.Where(r => r.IsTerminal).ToList();
        var noOutcome = terminal.Where(r => !outcomes.Tally.ByRequest.ContainsKey(r.RequestId)).ToList();
        checks.Add(new Check("an outcome event per terminal request", "0 missing", noOutcome.Count == 0 ? "0 missing" : $"{noOutcome.Count} missing: {Sample(noOutcome.Select(r => r.RequestId))}", noOutcome.Count == 0));
        var different = tallies.Where(t => t.Value.DuplicateRuns > 0).ToList();
        checks.Add(new Check("duplicateTerminal: (request, run) with 2+ different outcomes", "0", different.Count == 0 ? "0" : $"{different.Count}: {Sample(different.Select(t => $"{t.Key} {t.Value.Kinds}"))}", different.Count == 0));
        foreach (var (id, _) in different.Take(3))
            await Console.Error.WriteLineAsync($"[chaos] different terminal messages for {id}:\n  {string.Join("\n  ", outcomes.Tally.ByRequest[id].Contents)}");
        var twice = tallies.Where(t => t.Value.Runs > 1).ToList();
        checks.Add(new Check("one run (outcome MessageId) per request", "0 with more", twice.Count == 0 ? "0 with more" : $"{twice.Count}: {Sample(twice.Select(t => $"{t.Key} x{t.Value.Runs}"))}", twice.Count == 0));
        var mismatched = tallies.Where(t => !final.TryGetValue(t.Key, out var row) || t.Value.Kinds != ExpectedOutcome(row.State)).ToList();
        checks.Add(new Check("outcome event matches the final state", "0 mismatched", mismatched.Count == 0 ? "0 mismatched" : $"{mismatched.Count}: {Sample(mismatched.Select(t => $"{t.Key} {t.Value.Kinds} vs {(final.TryGetValue(t.Key, out var r) ? r.State : "no row")}"))}", mismatched.Count == 0));
        var redeliveries = tallies.Values.Sum(t => t.Redeliveries);
        checks.Add(new Check("redeliveries of one identical outcome (reported)", "any", redeliveries.ToString(CultureInfo.InvariantCulture), true));
        checks.Add(new Check("unreadable outcome deliveries", "0", outcomes.Tally.Unreadable.ToString(CultureInfo.InvariantCulture), outcomes.Tally.Unreadable == 0));

        var judged = ids.Where(id => final.TryGetValue(id, out var row) && row.IsTerminal).ToList();
        var overCalled = judged.Where(id => calls.GetValueOrDefault(id) > final[id].AttemptRows).ToList();
        checks.Add(new Check("model calls per request <= attempts recorded", "0 over", overCalled.Count == 0
            ? $"0 over ({judged.Sum(id => calls.GetValueOrDefault(id))} calls, {judged.Count} terminal requests)"
            : $"{overCalled.Count}: {Sample(overCalled.Select(id => $"{id} {calls[id]} calls / {final[id].AttemptRows} attempts"))}", overCalled.Count == 0));

        var timers = final.Values.Where(r => r.IsTerminal && r.HasTimer).ToList();
        checks.Add(new Check("no timer left for a terminal request", "0", timers.Count == 0 ? "0" : $"{timers.Count}: {Sample(timers.Select(r => r.RequestId))}", timers.Count == 0));

        var (poisoned, unexpected, samples) = await errorQueues.InspectAsync(errorsBefore, poisonMarker, store.ConnectionString);
        checks.Add(new Check("_error queues: only the poisoned messages", $"{PoisonedMessages} poisoned, 0 other", $"{poisoned} poisoned, {unexpected} other{(unexpected > 0 ? ": " + string.Join(" || ", samples) : "")}", poisoned == PoisonedMessages && unexpected == 0));
        return checks;
    }

    static string ExpectedOutcome(string? state) => state switch
    {
        "Succeeded" => "InferenceSucceeded",
        "Failed" => "InferenceFailed",
        "Cancelled" => "InferenceCancelled",
        _ => $"(none for {state ?? "no state"})",
    };

    static async Task<Dictionary<string, long>> ModelCallsAsync(ChaosCluster cluster)
    {
        using var http = new HttpClient { BaseAddress = cluster.SimulatedModelUrl, Timeout = TimeSpan.FromSeconds(30) };
        using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri("stats", UriKind.Relative)));
        return stats.RootElement.GetProperty("byRequestId").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal);
    }

    void Print(DateTime submitStart, List<FaultEvidence> evidence, List<Check> checks, Submitter submitter, OutcomeCounter outcomes, Dictionary<string, RequestRow> rows, string attempts, int crashedAtStart, int hungAtStart)
    {
        Console.WriteLine();
        Console.WriteLine($"Faults ({evidence.Count}; at = seconds after the first submission, bounces = invokes the workers refused as CircuitOpen meanwhile):");
        Console.WriteLine($"  {"#",-3} {"fault",-17} {"at",8} {"took",7} {"hit",-4} {"bounces",7}  evidence");
        var t0 = submitStart;
        for (var i = 0; i < evidence.Count; i++)
        {
            var (f, hit, text, _, bounces) = evidence[i];
            Console.WriteLine($"  {i + 1,-3} {f.Kind,-17} {(f.StartedUtc - t0).TotalSeconds,7:0.0}s {(f.EndedUtc - f.StartedUtc).TotalSeconds,6:0.0}s {(hit ? "yes" : "NO"),-4} {bounces,7:0}  {text}");
        }
        Console.WriteLine();
        for (var i = 0; i < evidence.Count; i++)
        {
            Console.WriteLine($"  {i + 1,-3} {evidence[i].Fault.Detail}");
            if (evidence[i].Sample is { } sample)
                Console.WriteLine($"      e.g. {sample}");
        }
        Console.WriteLine();
        var states = rows.Values.GroupBy(r => r.State ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}={g.Count()}");
        Console.WriteLine($"Requests by state: {string.Join(", ", states)}; accepted POSTs {submitter.Submissions}, retried POSTs {submitter.Retries}; outcome deliveries {outcomes.Tally.Deliveries}");
        Console.WriteLine($"Attempts: {attempts}");
        Console.WriteLine($"Processes that died before they were ready and were started again: {crashedAtStart}; that hung in their start and were killed and started again: {hungAtStart}");
        Console.WriteLine($"Run took {_clock.Elapsed.TotalSeconds:0} s.");
        Console.WriteLine();
        var width = checks.Max(c => c.Name.Length);
        var expectedWidth = checks.Max(c => c.Expected.Length);
        Console.WriteLine($"  {"invariant".PadRight(width)}  {"expected".PadRight(expectedWidth)}  {"result",-6}  actual");
        foreach (var check in checks)
            Console.WriteLine($"  {check.Name.PadRight(width)}  {check.Expected.PadRight(expectedWidth)}  {(check.Ok ? "ok" : "FAILED"),-6}  {check.Actual}");
        Console.WriteLine();
    }
}
