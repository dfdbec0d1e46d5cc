using System.Collections.Concurrent;

namespace Orchestrator.Workers.Consumers;

/// <summary>
/// The requests this worker heard were cancelled (<c>InferenceCancelled</c>, on its own fleet queue): an attempt of
/// one still waiting in the broker is dropped without a model call when its turn comes, so a cancelled backlog drains
/// at the broker's pace instead of the model's. Kept for <see cref="Retention"/>, at most <see cref="Capacity"/> ids.
/// Best effort by design: a worker started after a cancel never heard it and still makes the call, whose result the
/// saga records as late.
/// </summary>
public sealed class CancelledRequests(TimeProvider clock)
{
    /// <summary>How long a cancellation is remembered: past it, no attempt of the request is still queued in practice.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(6);

    /// <summary>Ids kept at most (about 100 bytes each); beyond it the oldest are forgotten first.</summary>
    public const int Capacity = 200_000;

    readonly ConcurrentDictionary<string, DateTimeOffset> _heard = new(StringComparer.Ordinal);
    readonly Lock _trimming = new();

    public int Count => _heard.Count;

    public void Heard(string requestId)
    {
        _heard[requestId] = clock.GetUtcNow();
        if (_heard.Count > Capacity)
            Trim();
    }

    public bool Contains(string requestId) =>
        _heard.TryGetValue(requestId, out var at) && clock.GetUtcNow() - at < Retention;

    void Trim()
    {
        lock (_trimming)
        {
            if (_heard.Count <= Capacity)
                return;
            var expired = clock.GetUtcNow() - Retention;
            // Down to three quarters, so that trimming is rare: the expired first, then the oldest.
            var oldestFirst = _heard.OrderBy(h => h.Value).ToList();
            var excess = oldestFirst.Count - Capacity * 3 / 4;
            for (var i = 0; i < oldestFirst.Count && (i < excess || oldestFirst[i].Value < expired); i++)
                _heard.TryRemove(oldestFirst[i].Key, out _);
        }
    }
}
