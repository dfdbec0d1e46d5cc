using System.Data;
using Microsoft.EntityFrameworkCore;

namespace Orchestrator.Sagas.EntityFrameworkCore;

/// <summary>How our EF Core saga repository loads and locks one saga type.</summary>
public sealed class EfSagaRepositoryOptions<TSaga>
    where TSaga : class
{
    /// <summary>Shapes every load of a saga, e.g. to include its child rows.</summary>
    public Func<IQueryable<TSaga>, IQueryable<TSaga>> Query { get; set; } = q => q;

    /// <summary>
    /// Called right after a message's transaction commits, before anything it published leaves (the outbox runs
    /// later): the window a crash-safety test aims at. Receives the message type.
    /// </summary>
    public Action<Type>? AfterCommit { get; set; }

    /// <summary>Runs on a new instance just before its first INSERT, in the message's transaction.</summary>
    public Func<DbContext, TSaga, CancellationToken, Task>? PrepareNew { get; set; }

    /// <summary>
    /// Where a store has a single writer (SQLite), each message's transaction waits its turn here, and begins at the
    /// message's first write. The open gate (PostgreSQL, the default) changes nothing: the transaction spans the message.
    /// </summary>
    public WriterGate Writers { get; set; } = WriterGate.Open;

    /// <summary>One transaction per consumed message, at this isolation level.</summary>
    public IsolationLevel IsolationLevel { get; set; } = IsolationLevel.ReadCommitted;
}
