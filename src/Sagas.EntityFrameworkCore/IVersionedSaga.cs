using MassTransit;

namespace Orchestrator.Sagas.EntityFrameworkCore;

/// <summary>
/// A saga whose <see cref="Version"/> column is its optimistic lock (mapped with <c>IsConcurrencyToken()</c>):
/// <c>UPDATE ... WHERE correlation_id = @id AND version = @read</c>, so of two writers the second fails and retries.
/// </summary>
public interface IVersionedSaga : ISaga
{
    int Version { get; set; }
}
