using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Resilience;

/// <summary>
/// Picks the endpoint for an attempt: the first, by <see cref="EndpointOptions.Priority"/> and then list order, that is
/// not cooling down for the fleet, has room under its limits (the invoke's <see cref="TokenEstimate"/> among them), and
/// whose breaker grants a call.
/// </summary>
public sealed class EndpointSelector(EndpointBreakers breakers, EndpointCooldowns cooldowns, EndpointLimits limits)
{
    public EndpointChoice Choose(IReadOnlyList<EndpointOptions> endpoints, Contracts.InvokeModel? invoke = null)
    {
        List<SkippedEndpoint>? skipped = null;
        foreach (var endpoint in endpoints.OrderBy(e => e.Priority))
        {
            var name = endpoint.DisplayName;
            if (cooldowns.Active(name) is { } cooldown)
            {
                (skipped ??= []).Add(new SkippedEndpoint(name, cooldown.Until, $"cooling down ({cooldown.Reason})", Busy: false));
                continue;
            }
            // The estimate walks the messages: only an endpoint with a token quota needs it.
            var tokens = invoke is null || endpoint.TokensPerMinute is null ? default : TokenEstimate.For(invoke, endpoint);
            var slot = limits.TryAcquire(endpoint, tokens, out var freeAt, out var busy);
            if (slot is null)
            {
                (skipped ??= []).Add(new SkippedEndpoint(name, freeAt, $"busy ({busy})", Busy: true));
                continue;
            }
            var lease = breakers.For(endpoint).TryAcquire(out var halfOpenAt);
            if (lease is null)
            {
                slot.Dispose();
                (skipped ??= []).Add(new SkippedEndpoint(name, halfOpenAt, "open", Busy: false));
                continue;
            }
            return new EndpointChoice { Endpoint = endpoint, Lease = lease, Slot = slot, Skipped = skipped ?? [] };
        }
        return new EndpointChoice { Skipped = skipped ?? [] };
    }
}
