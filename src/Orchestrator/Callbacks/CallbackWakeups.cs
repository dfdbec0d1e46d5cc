namespace Orchestrator.Callbacks;

/// <summary>Wakes the <see cref="CallbackDeliverer"/> when an event is written or a delivery slot frees, so it need not wait for its poll.</summary>
public sealed class CallbackWakeups : IDisposable
{
    readonly SemaphoreSlim _signal = new(0, 1);

    public void Signal()
    {
        try
        {
            if (_signal.CurrentCount == 0)
                _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    /// <summary>Waits for a signal or <paramref name="timeout"/>, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _signal.Dispose();
}
