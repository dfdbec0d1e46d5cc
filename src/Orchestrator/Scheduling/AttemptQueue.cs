using Microsoft.Extensions.Options;
using Orchestrator.Hosting;
using Orchestrator.ServiceDefaults;
using Orchestrator.Workers.Consumers;
using RabbitMQ.Client;

namespace Orchestrator.Scheduling;

/// <summary>
/// Whether dispatched attempts wait in the broker for a worker: a backlog. The sweep asks before it times out an attempt
/// no worker has started: behind a backlog the attempt is waiting its turn, not lost, and timing it out would only
/// dispatch it again at the back of the same queue. On RabbitMQ it is the work queue's count of ready messages (a
/// passive declare, asked only when such an attempt is due); when the broker cannot say, no queued attempt is taken
/// for lost. The in-memory bus has no backlog to ask about: there the timeouts apply as set, and the attempts lost with
/// the process end at its next start (<see cref="SchemaStartup.EndAttemptsLostWithTheQueueAsync"/>).
/// </summary>
public sealed partial class AttemptQueue(IOptions<OrchestratorOptions> options, IConfiguration configuration, ILogger<AttemptQueue> logger)
    : IAttemptBacklog, IAsyncDisposable
{
    /// <summary>The queue asked about: the workers' (tests name another).</summary>
    public string QueueName { get; init; } = InvokeModelConsumerDefinition.QueueName;

    readonly SemaphoreSlim _gate = new(1, 1);
    IConnection? _connection;

    /// <summary>Ready attempts in the queue, or null when the queue cannot say (the in-memory bus, or the broker is away).</summary>
    public async Task<uint?> WaitingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Transport != TransportKind.RabbitMQ)
            return null;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is not { IsOpen: true })
            {
                if (_connection is not null)
                    await _connection.DisposeAsync();
                var factory = new ConnectionFactory { Uri = RabbitMqHost.UriFrom(configuration), ClientProvidedName = "orchestrator-attempt-queue" };
                _connection = await factory.CreateConnectionAsync(cancellationToken);
            }
            await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var queue = await channel.QueueDeclarePassiveAsync(QueueName, cancellationToken);
            return queue.MessageCount;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            QueueNotRead(logger, exception);
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>True when attempts wait in the broker for a worker, or when the broker cannot say.</summary>
    public async Task<bool> HasBacklogAsync(CancellationToken cancellationToken) =>
        options.Value.Transport == TransportKind.RabbitMQ && await WaitingAsync(cancellationToken) is not 0;

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
            await _connection.DisposeAsync();
        _gate.Dispose();
    }

    [LoggerMessage(3105, LogLevel.Warning, "Could not read the attempt queue's backlog; queued attempts keep waiting")]
    static partial void QueueNotRead(ILogger logger, Exception exception);
}
