using Microsoft.Extensions.Hosting;

namespace Orchestrator.ServiceDefaults;

public static class HostLifetimeExtensions
{
    /// <summary>
    /// Waits until the host has started (and with it the bus, so a background service may publish); false when the
    /// host stops first.
    /// </summary>
    public static async Task<bool> WaitForStartAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
