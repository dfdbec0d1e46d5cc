using System.Data;

namespace Orchestrator.Persistence.Sagas;

/// <summary>How our EF Core saga repository loads and locks one saga type.</summary>
public sealed class EfSagaRepositoryOptions<TSaga>
    where TSaga : class
{
    /// <summary>Shapes every load of a saga, e.g. to include its child rows.</summary>
    public Func<IQueryable<TSaga>, IQueryable<TSaga>> Query { get; set; } = q => q;

    /// <summary>One transaction per consumed message, at this isolation level.</summary>
    public IsolationLevel IsolationLevel { get; set; } = IsolationLevel.ReadCommitted;
}
