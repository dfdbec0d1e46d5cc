namespace Orchestrator.Sagas.EntityFrameworkCore;

/// <summary>A row owned by a saga (e.g. an attempt): writing it counts as writing the saga, for the optimistic lock.</summary>
public interface ISagaChildRow
{
    Guid CorrelationId { get; }
}
