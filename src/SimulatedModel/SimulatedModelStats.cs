using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Orchestrator.SimulatedModel;

/// <summary>
/// Thread-safe call counters of the simulated model: all calls, and calls per <c>X-Request-Id</c> header value.
/// It also holds the per-script call counters, so <see cref="Reset"/> makes scripts start over.
/// </summary>
public sealed class SimulatedModelStats
{
    // StrongBox values: a call increments an existing counter with Interlocked, without locking or re-adding the entry.
    readonly ConcurrentDictionary<string, StrongBox<long>> _byRequestId = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<ulong, StrongBox<long>> _callsByScriptKey = new();
    readonly ConcurrentQueue<(DateTimeOffset At, string? RequestId)> _recent = new();
    long _totalCalls;

    /// <summary>How many of the latest calls <see cref="RecentCalls"/> keeps.</summary>
    public const int RecentCallsKept = 100_000;

    /// <summary>Calls to <c>/v1/chat/completions</c> since start or the last <see cref="Reset"/>.</summary>
    public long TotalCalls => Interlocked.Read(ref _totalCalls);

    /// <summary>Calls that carried the header <c>X-Request-Id: <paramref name="requestId"/></c>.</summary>
    public long CallsFor(string requestId) =>
        _byRequestId.TryGetValue(requestId, out var box) ? Interlocked.Read(ref box.Value) : 0;

    /// <summary>A snapshot of the calls per <c>X-Request-Id</c>.</summary>
    public IReadOnlyDictionary<string, long> CallsByRequestId()
    {
        var snapshot = new Dictionary<string, long>(_byRequestId.Count, StringComparer.Ordinal);
        foreach (var entry in _byRequestId)
        {
            snapshot[entry.Key] = Interlocked.Read(ref entry.Value.Value);
        }

        return snapshot;
    }

    /// <summary>
    /// When each of the latest <see cref="RecentCallsKept"/> calls arrived, with its <c>X-Request-Id</c>, oldest first:
    /// what a test needs to check a rate limit or a pause at the server itself.
    /// </summary>
    public IReadOnlyList<(DateTimeOffset At, string? RequestId)> RecentCalls() => _recent.ToArray();

    /// <summary>Forgets every call: counters go back to zero and scripts start again from their first step.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _totalCalls, 0);
        _recent.Clear();
        _byRequestId.Clear();
        _callsByScriptKey.Clear();
    }

    internal void RecordCall(string? requestId)
    {
        Interlocked.Increment(ref _totalCalls);
        _recent.Enqueue((DateTimeOffset.UtcNow, requestId));
        while (_recent.Count > RecentCallsKept && _recent.TryDequeue(out _))
        {
        }

        if (!string.IsNullOrEmpty(requestId))
        {
            Interlocked.Increment(ref _byRequestId.GetOrAdd(requestId, static _ => new StrongBox<long>()).Value);
        }
    }

    /// <summary>The 0-based index of this call among the calls with the same script key.</summary>
    internal long NextCallIndex(ulong scriptKey) =>
        Interlocked.Increment(ref _callsByScriptKey.GetOrAdd(scriptKey, static _ => new StrongBox<long>()).Value) - 1;
}
