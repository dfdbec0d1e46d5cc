using System.Threading.Channels;

namespace Orchestrator.Batches;

/// <summary>
/// Publishes the first attempts of accepted batches behind the answer to <c>POST /api/batches</c>: the commit of the
/// rows is what makes a batch durable, and one confirmed publish per line would otherwise keep the caller waiting on
/// the broker. A batch whose publishes a crash or a stop cuts short loses nothing: its rows are Pending with attempt 1
/// dispatched, and the attempts' timeouts dispatch them again, as for a single request lost between commit and publish.
/// </summary>
public sealed class BatchDispatcher(IServiceScopeFactory scopes, ILogger<BatchDispatcher> logger) : BackgroundService
{
    readonly Channel<string> _accepted = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues the first attempts of a committed batch for publishing.</summary>
    public void Dispatch(string batchId) => _accepted.Writer.TryWrite(batchId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var batchId in _accepted.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<BatchSubmissions>().DispatchAsync(batchId, stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.BatchDispatchFailed(exception, batchId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is left is repaired by the attempts' timeouts.
        }
    }
}
