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
    const int MissedHeartbeats = 3;

    readonly ConcurrentDictionary<string, (DateTimeOffset SeenAt, TimeSpan Interval)> _peers = new(StringComparer.Ordinal);
    readonly TimeProvider _clock;
    readonly string _self;
    readonly DateTimeOffset _since;
    readonly TimeSpan _interval;

    public FleetPeers(IOptions<WorkerOptions> options, TimeProvider clock)
    {
        _clock = clock;
        _self = options.Value.WorkerId;
        _interval = options.Value.HeartbeatInterval;
        _since = clock.GetUtcNow();
    }

    /// <summary>Records a heartbeat (this worker's own are ignored).</summary>
    public void Heard(WorkerHeartbeat heartbeat)
    {
        if (string.Equals(heartbeat.WorkerId, _self, StringComparison.Ordinal))
            return;
        if (heartbeat.Stopping)
            _peers.TryRemove(heartbeat.WorkerId, out _);
        else
            _peers[heartbeat.WorkerId] = (heartbeat.At, heartbeat.Interval);
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
                if (peer.SeenAt + peer.Interval * MissedHeartbeats >= now)
                    live++;
                else
                    _peers.TryRemove(id, out _);
            }
            return live;
        }
    }

    /// <summary>
    /// When this worker has heard every live peer at least once (one heartbeat interval after it started): before
    /// then it cannot know its share of a fleet-wide limit, and rate-limited endpoints wait.
    /// </summary>
    public DateTimeOffset KnownFrom => _since + _interval;
}
