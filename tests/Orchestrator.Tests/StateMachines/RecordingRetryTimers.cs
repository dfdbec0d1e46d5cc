using System.Collections.Concurrent;
using Orchestrator.Scheduling;

namespace Orchestrator.Tests.StateMachines;

/// <summary>Timers for the specs: records what the saga asked for; a spec fires one by publishing RetryDue.</summary>
public sealed class RecordingRetryTimers : IRetryTimers
{
    public ConcurrentDictionary<Guid, (string RequestId, Guid Token, DateTime DueAt)> Scheduled { get; } = new();
    public ConcurrentBag<Guid> Cancelled { get; } = [];

    public Task ScheduleAsync(string requestId, Guid correlationId, Guid token, DateTime dueAtUtc, CancellationToken cancellationToken)
    {
        Scheduled[correlationId] = (requestId, token, dueAtUtc);
        return Task.CompletedTask;
    }

    public Task CancelAsync(Guid correlationId, CancellationToken cancellationToken)
    {
        Scheduled.TryRemove(correlationId, out _);
        Cancelled.Add(correlationId);
        return Task.CompletedTask;
    }
}
