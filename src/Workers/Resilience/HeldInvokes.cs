using Microsoft.Extensions.Options;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Resilience;

/// <summary>
/// The invokes this worker holds because every endpoint of their model is open or cooling down: each keeps its
/// consumer slot (and its unacknowledged message) until an endpoint opens up, so the rest of the backlog waits in the
/// broker instead of being taken and refused one by one. At most <see cref="Limit"/> are held at once, so that with
/// several models the slots left over keep serving the others. Thread-safe.
/// </summary>
public sealed class HeldInvokes
{
    int _held;

    public HeldInvokes(IOptions<WorkerOptions> options)
    {
        var worker = options.Value;
        Limit = worker.HoldWhileOpen <= TimeSpan.Zero ? 0 : worker.EffectiveMaxHeldInvokes;
    }

    /// <summary>How many invokes may be held at once (0: none, every such invoke is refused at once).</summary>
    public int Limit { get; }

    /// <summary>Invokes held now.</summary>
    public int Count => Volatile.Read(ref _held);

    /// <summary>Takes one of the places, or null when all are taken; dispose the result to give it back.</summary>
    public IDisposable? TryHold()
    {
        while (true)
        {
            var held = Volatile.Read(ref _held);
            if (held >= Limit)
                return null;
            if (Interlocked.CompareExchange(ref _held, held + 1, held) == held)
                return new Place(this);
        }
    }

    sealed class Place(HeldInvokes owner) : IDisposable
    {
        int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                Interlocked.Decrement(ref owner._held);
        }
    }
}
