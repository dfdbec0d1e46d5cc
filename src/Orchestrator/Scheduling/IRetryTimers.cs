namespace Orchestrator.Scheduling;

/// <summary>The durable backoff timers: one per request at most, keyed by its CorrelationId.</summary>
public interface IRetryTimers
{
    /// <summary>Creates (or replaces) the request's timer to publish <see cref="RetryDue"/> at <paramref name="dueAtUtc"/>.</summary>
    Task ScheduleAsync(string requestId, Guid correlationId, Guid token, DateTime dueAtUtc, CancellationToken cancellationToken);

    /// <summary>Removes the request's timer, if any.</summary>
    Task CancelAsync(Guid correlationId, CancellationToken cancellationToken);
}
