using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace Orchestrator.Sagas.EntityFrameworkCore;

/// <summary>
/// Our EF Core saga repository (MassTransit.EntityFrameworkCore is not available to us): one scoped DbContext and
/// one database transaction per consumed message, optimistic concurrency through the saga's version column.
/// A conflict or a transient database error throws; the endpoint's retry policy runs the message again in a
/// fresh scope, and nothing of the failed try is committed or published (the outbox holds publishes until then).
/// </summary>
public sealed class EfSagaRepositoryContextFactory<TSaga, TDbContext>(
    TDbContext db,
    ISagaConsumeContextFactory<TDbContext, TSaga> consumeContextFactory,
    EfSagaRepositoryOptions<TSaga> options) :
    ISagaRepositoryContextFactory<TSaga>,
    ILoadSagaRepositoryContextFactory<TSaga>,
    IQuerySagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
    where TDbContext : DbContext
{
    public void Probe(ProbeContext context) => context.Add("persistence", "entity-framework-core");

    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        var repositoryContext = new EfSagaRepositoryContext<TSaga, T, TDbContext>(db, context, consumeContextFactory, options);
        // No savepoint around each SaveChanges (EF's default inside a transaction: two more round trips and two more
        // statements per transition). A failed save fails the whole message, which rolls back and runs again in a
        // fresh scope; only the insert of a new saga, whose duplicate key is expected, asks for one.
        db.Database.AutoSavepointsEnabled = false;
        try
        {
            // The transaction spans the message, except where writers take turns (SQLite): there it begins at the
            // message's first write.
            if (!options.Writers.TakesTurns)
                await repositoryContext.BeginWriteAsync();
            await next.Send(repositoryContext);
            await repositoryContext.CommitAsync();
        }
        finally
        {
            // Ending without a commit rolls back: the retry starts from the committed state.
            await repositoryContext.EndAsync();
            db.Database.AutoSavepointsEnabled = true;
        }
        options.AfterCommit?.Invoke(typeof(T));
    }

    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class
    {
        var repositoryContext = new EfSagaRepositoryContext<TSaga, T, TDbContext>(db, context, consumeContextFactory, options);
        try
        {
            await repositoryContext.BeginWriteAsync();
            var ids = await db.Set<TSaga>().AsNoTracking().Where(query.FilterExpression)
                .Select(x => x.CorrelationId).ToListAsync(context.CancellationToken);
            var instances = new List<TSaga>(ids.Count);
            foreach (var id in ids)
            {
                if (await repositoryContext.LoadInstance(id) is { } instance)
                    instances.Add(instance);
            }

            await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repositoryContext, instances));
            await repositoryContext.CommitAsync();
        }
        finally
        {
            await repositoryContext.EndAsync();
        }
    }

    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        asyncMethod(new EfReadOnlySagaRepositoryContext<TSaga>(db, options, cancellationToken));

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        asyncMethod(new EfReadOnlySagaRepositoryContext<TSaga>(db, options, cancellationToken));
}
