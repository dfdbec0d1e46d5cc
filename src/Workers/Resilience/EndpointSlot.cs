namespace Orchestrator.Workers.Resilience;

/// <summary>
/// One call's room under an endpoint's limits (<see cref="EndpointLimits.TryAcquire(Hosting.EndpointOptions, TokenEstimate, out DateTimeOffset, out string)"/>):
/// <see cref="Settle"/> it with the tokens the call used, then dispose it when the call ends. Disposing twice is once.
/// </summary>
public sealed class EndpointSlot : IDisposable
{
    readonly EndpointLimits _owner;
    readonly EndpointLimits.Counters _counters;
    readonly EndpointLimits.CountedCall? _counted;
    readonly EndpointLimits.TokenReservation? _reserved;
    int _done;

    internal EndpointSlot(EndpointLimits owner, EndpointLimits.Counters counters, EndpointLimits.CountedCall? counted, EndpointLimits.TokenReservation? reserved)
    {
        _owner = owner;
        _counters = counters;
        _counted = counted;
        _reserved = reserved;
    }

    /// <summary>
    /// Corrects the call's reserved tokens to what it used: the answer's <c>usage.total_tokens</c>; for a failed call
    /// without usage, its prompt estimate (the endpoint may have read the prompt); for an answer without usage, the
    /// estimate stands. No effect without a token limit.
    /// </summary>
    public void Settle(Contracts.TokenUsage? usage, bool succeeded)
    {
        if (_reserved is null)
            return;
        var tokens = usage is { TotalTokens: > 0 } u ? u.TotalTokens
            : succeeded ? _reserved.Estimate.Total
            : _reserved.Estimate.Prompt;
        _owner.Settle(_counters, _reserved, tokens);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
            _owner.Release(_counters, _counted, _reserved);
    }
}
