namespace Orchestrator.SimulatedModel.Determinism;

/// <summary>
/// Random draws derived from (seed, script key, call index, purpose) instead of a shared <see cref="Random"/>:
/// the outcome of a call depends only on its inputs, never on thread interleaving, and needs no lock.
/// </summary>
static class DeterministicDraw
{
    /// <summary>Decides whether an unscripted call fails.</summary>
    public const ulong FaultDecision = 1;

    /// <summary>Picks which fault.</summary>
    public const ulong FaultPick = 2;

    /// <summary>Latency jitter.</summary>
    public const ulong Jitter = 3;

    /// <summary>The completion id.</summary>
    public const ulong CompletionId = 4;

    /// <summary>Token logprobs; the token index is added to this purpose.</summary>
    public const ulong TokenLogprob = 1UL << 32;

    public static ulong Bits(int seed, ulong key, long callIndex, ulong purpose)
    {
        var value = StableHash.Mix(key ^ StableHash.Mix((ulong)(uint)seed + 0x9E3779B97F4A7C15UL));
        value = StableHash.Mix(value ^ ((ulong)callIndex * 0xD6E8FEB86659FD93UL));
        return StableHash.Mix(value ^ (purpose * 0xA0761D6478BD642FUL));
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public static double Unit(int seed, ulong key, long callIndex, ulong purpose) =>
        (Bits(seed, key, callIndex, purpose) >> 11) * (1.0 / (1UL << 53));
}
