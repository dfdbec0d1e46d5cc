namespace Orchestrator.Scheduling;

/// <summary>Whether dispatched attempts wait for a worker (<see cref="AttemptQueue"/>): asked by the sweep before it times one out.</summary>
public interface IAttemptBacklog
{
    Task<bool> HasBacklogAsync(CancellationToken cancellationToken);
}
