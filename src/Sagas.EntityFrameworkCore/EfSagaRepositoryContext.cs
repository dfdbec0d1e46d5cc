using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Orchestrator.Sagas.EntityFrameworkCore;

/// <summary>
/// The per-message primitives MassTransit's saga pipes call (Insert, Load, Add, Save, Update, ...), all on the one
/// DbContext and transaction of this message, which this context owns from <see cref="BeginWriteAsync"/> to
/// <see cref="EndAsync"/>. The DbContext is also a payload of the consume context. With a single-writer store
/// (<see cref="EfSagaRepositoryOptions{TSaga}.Writers"/>) the transaction begins at the message's first write, not
/// at its start.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001",
    Justification = "The SemaphoreSlim never allocates a wait handle (no AvailableWaitHandle), so there is nothing to dispose.")]
public sealed class EfSagaRepositoryContext<TSaga, TMessage, TDbContext> :
    ConsumeContextScope<TMessage>,
    SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
    where TDbContext : DbContext
{
    readonly TDbContext _db;
    readonly ConsumeContext<TMessage> _consumeContext;
    readonly ISagaConsumeContextFactory<TDbContext, TSaga> _factory;
    readonly EfSagaRepositoryOptions<TSaga> _options;

    // A DbContext is not thread-safe, and a state machine may publish while the repository saves.
    readonly SemaphoreSlim _gate = new(1);

    // The saga Insert found already there, tracked in this message's DbContext: what the Load after it returns.
    TSaga? _loaded;

    // Single-writer stores only: the new saga whose INSERT waits for the message's write.
    TSaga? _inserting;

    // The message's transaction (and, on a single-writer store, the writer's turn), from BeginWriteAsync to EndAsync.
    WriterGate.Turn _turn;
    IDbContextTransaction? _writing;

    public EfSagaRepositoryContext(TDbContext db, ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<TDbContext, TSaga> factory, EfSagaRepositoryOptions<TSaga> options)
        : base(consumeContext, db)
    {
        _db = db;
        _consumeContext = consumeContext;
        _factory = factory;
        _options = options;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        _factory.CreateSagaConsumeContext(_db, _consumeContext, instance, SagaConsumeContextMode.Add);

    /// <summary>
    /// InsertOnInitial: INSERT before the behaviour runs; an existing row returns null, which makes MassTransit
    /// <see cref="Load"/> it. The common case is that the row exists (the API inserted it), so the check reads the
    /// whole saga, tracked, and the Load that follows takes it from here without a second query. A lost race still
    /// ends in a duplicate key, inside a savepoint taken for this save alone, so the transaction stays usable.
    /// A single-writer store defers the INSERT to the message's write (<see cref="Update"/>), after the behaviour, so
    /// the writer is not held while the state machine runs; a lost race then ends in a duplicate key there, and the
    /// message runs again and loads the winner's row.
    /// </summary>
    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        await _gate.WaitAsync(CancellationToken);
        try
        {
            if (await LoadInstance(instance.CorrelationId) is { } existing)
            {
                _loaded = existing;
                return null!;
            }
            if (_options.Writers.TakesTurns)
            {
                _db.Set<TSaga>().Add(instance);
                _inserting = instance;
                return await _factory.CreateSagaConsumeContext(_db, _consumeContext, instance, SagaConsumeContextMode.Insert);
            }
            await BeginWriteAsync();
            if (_options.PrepareNew is { } prepare)
                await prepare(_db, instance, CancellationToken);
            var entry = _db.Set<TSaga>().Add(instance);
            // A savepoint around this one save, so a duplicate key leaves the transaction usable for the Load after it.
            _db.Database.AutoSavepointsEnabled = true;
            try
            {
                await _db.SaveChangesAsync(CancellationToken);
            }
            catch (DbUpdateException exception) when (UniqueViolation.Is(exception))
            {
                entry.State = EntityState.Detached;
                return null!;
            }
            finally
            {
                _db.Database.AutoSavepointsEnabled = false;
            }
        }
        finally
        {
            _gate.Release();
        }
        return await _factory.CreateSagaConsumeContext(_db, _consumeContext, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        var instance = _loaded is { } loaded && loaded.CorrelationId == correlationId ? loaded : await LoadInstance(correlationId);
        _loaded = null;
        return instance is null
            ? null!
            : await _factory.CreateSagaConsumeContext(_db, _consumeContext, instance, SagaConsumeContextMode.Load);
    }

    internal Task<TSaga?> LoadInstance(Guid correlationId) =>
        _options.Query(_db.Set<TSaga>().AsTracking()).SingleOrDefaultAsync(x => x.CorrelationId == correlationId, CancellationToken);

    public Task Save(SagaConsumeContext<TSaga> context) => Locked(async () =>
    {
        await BeginWriteAsync();
        if (_options.PrepareNew is { } prepare)
            await prepare(_db, context.Saga, CancellationToken);
        _db.Set<TSaga>().Add(context.Saga);
        return await _db.SaveChangesAsync(CancellationToken);
    });

    // The concurrency token turns a lost race into DbUpdateConcurrencyException; the endpoint retries the message.
    public Task Update(SagaConsumeContext<TSaga> context) => Locked(async () =>
    {
        await BeginWriteAsync();
        if (_inserting is { } fresh && _options.PrepareNew is { } prepare)
            await prepare(_db, fresh, CancellationToken);
        _inserting = null;
        return await _db.SaveChangesAsync(CancellationToken);
    });

    public Task Delete(SagaConsumeContext<TSaga> context) => Locked(async () =>
    {
        await BeginWriteAsync();
        _db.Set<TSaga>().Remove(context.Saga);
        return await _db.SaveChangesAsync(CancellationToken);
    });

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context) => Locked(() =>
    {
        foreach (var entry in _db.ChangeTracker.Entries().ToList())
            entry.State = entry.State == EntityState.Added ? EntityState.Detached : EntityState.Unchanged;
        return Task.FromResult(0);
    });

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_db, consumeContext, instance, mode);

    /// <summary>
    /// Waits for the writer's turn (the gate is open except on a single-writer store) and begins the message's transaction, once.
    /// The factory calls it at the start of the message, except on a single-writer store: there every write calls it,
    /// so everything the message read before (the saga's load, the state machine's work) ran outside it and the one
    /// writer is held only for the writes and the commit (held for the whole message, it was the embedded mode's
    /// bottleneck). Reading outside the transaction is safe for the same reason as on PostgreSQL
    /// at read committed: the UPDATE checks the version it read, and a lost race throws and runs the message again.
    /// </summary>
    internal async Task BeginWriteAsync()
    {
        if (_writing is not null)
            return;
        _turn = await _options.Writers.EnterAsync(CancellationToken);
        _writing = await _db.Database.BeginTransactionAsync(_options.IsolationLevel, CancellationToken);
    }

    /// <summary>Commits the message's transaction, if it began one.</summary>
    internal async Task CommitAsync()
    {
        if (_writing is not null)
            await _writing.CommitAsync(CancellationToken);
    }

    /// <summary>Ends the message's transaction (a rollback if it did not commit) and hands the writer's turn on.</summary>
    internal async Task EndAsync()
    {
        try
        {
            if (_writing is not null)
                await _writing.DisposeAsync();
        }
        finally
        {
            _writing = null;
            _turn.Dispose();
            _turn = default;
        }
    }

    async Task Locked(Func<Task<int>> action)
    {
        await _gate.WaitAsync(CancellationToken);
        try
        {
            await action();
        }
        finally
        {
            _gate.Release();
        }
    }
}
