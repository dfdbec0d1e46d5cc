using System.Collections.Concurrent;

namespace Orchestrator.Workers.Resilience;

/// <summary>
/// The fleet-wide cooldowns this worker honours, by endpoint name: its own (a breaker that opened, a Retry-After it
/// was given) and every other worker's, learned from <see cref="Contracts.EndpointCoolingDown"/>. Of two cooldowns
/// of one endpoint the later end wins. Thread-safe.
/// </summary>
public sealed class EndpointCooldowns(TimeProvider clock)
{
    readonly ConcurrentDictionary<string, Cooldown> _byEndpoint = new(StringComparer.Ordinal);

    /// <summary>Records a cooldown; true when it extends what was known (so it is news worth passing on).</summary>
    public bool Apply(string endpoint, DateTimeOffset until, string reason)
    {
        if (until <= clock.GetUtcNow())
            return false;
        var extended = false;
        _byEndpoint.AddOrUpdate(endpoint,
            _ =>
            {
                extended = true;
                return new Cooldown(until, reason);
            },
            (_, known) =>
            {
                if (until <= known.Until)
                    return known;
                extended = true;
                return new Cooldown(until, reason);
            });
        return extended;
    }

    /// <summary>The endpoint's cooldown if it is still running.</summary>
    public Cooldown? Active(string endpoint) =>
        _byEndpoint.TryGetValue(endpoint, out var cooldown) && cooldown.Until > clock.GetUtcNow() ? cooldown : null;

    /// <summary>One endpoint's cooldown: no call before <see cref="Until"/>, and why.</summary>
    public sealed record Cooldown(DateTimeOffset Until, string Reason);
}
