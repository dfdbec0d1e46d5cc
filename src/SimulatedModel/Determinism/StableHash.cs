namespace Orchestrator.SimulatedModel.Determinism;

/// <summary>
/// An incremental 64-bit FNV-1a hash with a final avalanche. Unlike <see cref="HashCode"/> it is the same in every
/// process, which makes script keys, faults and logprobs reproducible across runs and servers.
/// </summary>
struct StableHash
{
    const ulong OffsetBasis = 14695981039346656037UL;
    const ulong Prime = 1099511628211UL;

    ulong _state;
    bool _started;

    /// <summary>Adds a tag byte; tags and lengths separate fields, so ("ab","c") and ("a","bc") differ.</summary>
    public void AddTag(byte tag)
    {
        EnsureStarted();
        _state = (_state ^ tag) * Prime;
    }

    public void Add(long value)
    {
        EnsureStarted();
        for (var shift = 0; shift < 64; shift += 8)
        {
            _state = (_state ^ (byte)(value >> shift)) * Prime;
        }
    }

    public void Add(ReadOnlySpan<char> text)
    {
        Add(text.Length);
        foreach (var c in text)
        {
            _state = (_state ^ (byte)c) * Prime;
            _state = (_state ^ (byte)(c >> 8)) * Prime;
        }
    }

    public readonly ulong Finish() => Mix(_started ? _state : OffsetBasis);

    /// <summary>The SplitMix64 finaliser: spreads every input bit over the whole output.</summary>
    public static ulong Mix(ulong value)
    {
        value ^= value >> 30;
        value *= 0xBF58476D1CE4E5B9UL;
        value ^= value >> 27;
        value *= 0x94D049BB133111EBUL;
        value ^= value >> 31;
        return value;
    }

    void EnsureStarted()
    {
        if (!_started)
        {
            _state = OffsetBasis;
            _started = true;
        }
    }
}
