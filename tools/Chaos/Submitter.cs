using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace Orchestrator.Chaos;

/// <summary>
/// Submits the requests over the API of the orchestrators in turn, as a client that wants each one accepted would:
/// an error or no answer is retried (on the other orchestrator), with the same id and payload. About one request in
/// ten is also submitted a second time, at once or a few seconds later. Requests keep arriving at the same pace past
/// the planned number while a fault is still under way, so every fault meets requests in flight.
/// </summary>
public sealed class Submitter(ChaosCluster cluster, Action<string> log) : IDisposable
{
    static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(150);

    readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    readonly ConcurrentDictionary<string, byte> _accepted = new(StringComparer.Ordinal);
    readonly ConcurrentBag<string> _refused = [];
    readonly SemaphoreSlim _inFlight = new(48);
    readonly ConcurrentQueue<(DateTime At, string Orchestrator)> _failures = new();
    long _submissions;
    long _retries;

    /// <summary>Ids the API accepted (200/202) at least once.</summary>
    public IReadOnlyCollection<string> Accepted => [.. _accepted.Keys];

    /// <summary>Ids refused for good (409 or another 4xx, or not accepted within the time allowed), with why.</summary>
    public IReadOnlyCollection<string> Refused => _refused;

    /// <summary>Accepted POSTs, duplicates included.</summary>
    public long Submissions => Interlocked.Read(ref _submissions);

    /// <summary>POSTs that failed (error status, refused connection, no answer) and were sent again.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public long Duplicates { get; private set; }

    /// <summary>POSTs that failed in the window, by the orchestrator they went to.</summary>
    public Dictionary<string, int> FailuresIn(DateTime from, DateTime to) =>
        _failures.Where(f => f.At >= from && f.At <= to).GroupBy(f => f.Orchestrator, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>
    /// Submits <paramref name="planned"/> requests spread over <paramref name="window"/>, then more at the same pace
    /// while <paramref name="faultsUnderWay"/> says so (at most as many again); returns the ids submitted.
    /// </summary>
    public async Task<IReadOnlyList<string>> RunAsync(Func<int, string> idOf, int planned, TimeSpan window, Func<bool> faultsUnderWay, Random random, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var ids = new List<string>(planned);
        var work = new List<Task>(planned + planned / 5);
        for (var i = 0; i < planned || (faultsUnderWay() && i < 2 * planned); i++)
        {
            var due = window * i / planned;
            if (due > clock.Elapsed)
                await Task.Delay(due - clock.Elapsed, cancellationToken);
            var id = idOf(i);
            ids.Add(id);
            work.Add(SubmitAsync(id, i, cancellationToken));
            var duplicate = random.NextDouble();
            if (duplicate < 0.05)
            {
                // The same submission twice at the same moment: one creates the request, the other finds it.
                Duplicates++;
                work.Add(SubmitAsync(id, i + 1, cancellationToken));
            }
            else if (duplicate < 0.10)
            {
                // A client that submits again later (a retry of its own, a replayed queue).
                Duplicates++;
                var later = TimeSpan.FromSeconds(2 + random.NextDouble() * 8);
                work.Add(Task.Run(async () =>
                {
                    await Task.Delay(later, cancellationToken);
                    await SubmitAsync(id, i + 1, cancellationToken);
                }, cancellationToken));
            }
            if (i > 0 && i % 500 == 0)
                log($"submitted {i} of {planned} ({Retries} retried POSTs so far)");
        }
        await Task.WhenAll(work);
        log($"all {ids.Count} requests submitted ({planned} planned, the rest while faults were under way): {Submissions} accepted POSTs ({Duplicates} duplicates), {Retries} retried POSTs, {_refused.Count} refused");
        return ids;
    }

    public void Dispose()
    {
        _http.Dispose();
        _inFlight.Dispose();
    }

    public static Dictionary<string, object?> Body(string id) => new()
    {
        ["requestId"] = id,
        ["model"] = "sim",
        ["messages"] = new[] { new { role = "user", content = $"Chaos request {id}: summarise the weather in one line." } },
        ["sourceService"] = "chaos",
    };

    async Task SubmitAsync(string id, int turn, CancellationToken cancellationToken)
    {
        await _inFlight.WaitAsync(cancellationToken);
        try
        {
            var names = cluster.OrchestratorNames;
            var clock = Stopwatch.StartNew();
            var last = "";
            for (var attempt = 0; clock.Elapsed < GiveUpAfter; attempt++)
            {
                var name = names[(turn + attempt) % names.Count];
                var target = cluster.OrchestratorUrl(name);
                try
                {
                    using var response = await _http.PostAsJsonAsync(new Uri(target, "api/requests"), Body(id), cancellationToken);
                    if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted)
                    {
                        _accepted.TryAdd(id, 0);
                        Interlocked.Increment(ref _submissions);
                        return;
                    }
                    last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
                    if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                    {
                        _refused.Add($"{id}: {last}");
                        return;
                    }
                }
                catch (HttpRequestException exception)
                {
                    last = exception.Message;
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    last = "no answer within 10 s";
                }
                Interlocked.Increment(ref _retries);
                _failures.Enqueue((DateTime.UtcNow, name));
                await Task.Delay(TimeSpan.FromMilliseconds(250 + 250 * Math.Min(attempt, 6)), cancellationToken);
            }
            _refused.Add($"{id}: not accepted within {GiveUpAfter.TotalSeconds:0} s, last answer: {last}");
        }
        finally
        {
            _inFlight.Release();
        }
    }
}
