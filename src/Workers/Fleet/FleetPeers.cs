using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Fleet;

/// <summary>
/// The other workers this one hears heartbeats from, so that a fleet-wide limit can be shared out: a worker counts as
/// live until it misses three heartbeats or says it is stopping. Thread-safe.
/// </summary>
public sealed class FleetPeers
{
    readonly ConcurrentDictionary<string, WorkerHeartbeat> _peers = new(StringComparer.Ordinal);
    readonly TimeProvider _clock;
    readonly string _self;
    readonly TimeSpan _interval;
    DateTimeOffset _knownFrom = DateTimeOffset.MaxValue;

    public FleetPeers(IOptions<WorkerOptions> options, TimeProvider clock)
    {
        _clock = clock;
        _self = options.Value.WorkerId;
        _interval = options.Value.HeartbeatInterval;
    }

    /// <summary>
    /// This worker's queue for fleet signals exists from now on (the bus has started): every live peer is heard within
    /// one heartbeat interval (and a fifth for delivery).
    /// </summary>
    public void Listening() => _knownFrom = _clock.GetUtcNow() + _interval * 1.2;

    /// <summary>Records a heartbeat (this worker's own are ignored); true when it changes who is in the fleet.</summary>
    public bool Heard(WorkerHeartbeat heartbeat)
    {
        if (string.Equals(heartbeat.WorkerId, _self, StringComparison.Ordinal))
            return false;
        if (heartbeat.Stopping)
            return _peers.TryRemove(heartbeat.WorkerId, out _);
        var known = _peers.ContainsKey(heartbeat.WorkerId);
        _peers[heartbeat.WorkerId] = heartbeat;
        return !known;
    }

    /// <summary>Live workers, this one included.</summary>
    public int Count
    {
        get
        {
            var now = _clock.GetUtcNow();
            var live = 1;
            foreach (var (id, peer) in _peers)
            {
                if (peer.IsLiveAt(now))
                    live++;
                else
                    _peers.TryRemove(id, out _);
            }
            return live;
        }
    }

    /// <summary>
    /// When this worker has heard every live peer at least once (a heartbeat interval after <see cref="Listening"/>;
    /// never before it): until then it cannot know its share of a fleet-wide limit, and rate-limited endpoints wait.
    /// </summary>
    public DateTimeOffset KnownFrom => _knownFrom;
}
