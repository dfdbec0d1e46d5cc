using MassTransit;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Sagas.EntityFrameworkCore;

namespace Orchestrator.IntegrationTests.Persistence;

/// <summary>A minimal saga whose every event changes the row: a lost update shows as a wrong count.</summary>
public class CounterState : SagaStateMachineInstance, IVersionedSaga
{
    public Guid CorrelationId { get; set; }
    public string? CurrentState { get; set; }
    public int Count { get; set; }
    public int Version { get; set; }
}

/// <param name="CounterId">The counter.</param>
/// <param name="Tag">Lets a spec's <see cref="CounterHooks"/> pick out one message.</param>
public sealed record CounterIncremented(Guid CounterId, string? Tag = null);

/// <summary>What a spec does inside a transition: after the row was read and changed, before it is written.</summary>
public sealed class CounterHooks
{
    public Func<BehaviorContext<CounterState, CounterIncremented>, Task> BeforeSave { get; init; } = _ => Task.CompletedTask;
}

public sealed class CounterStateMachine : MassTransitStateMachine<CounterState>
{
    public CounterStateMachine(CounterHooks? hooks = null)
    {
        var beforeSave = hooks?.BeforeSave ?? (_ => Task.CompletedTask);
        InstanceState(x => x.CurrentState);
        Event(() => Incremented, x =>
        {
            x.CorrelateById(m => m.Message.CounterId);
            x.InsertOnInitial = true;
            x.SetSagaFactory(m => new CounterState { CorrelationId = m.Message.CounterId });
        });
        Initially(When(Incremented).Then(c => c.Saga.Count++).ThenAsync(beforeSave).TransitionTo(Counting));
        During(Counting, When(Incremented).Then(c => c.Saga.Count++).ThenAsync(beforeSave));
    }

    public State Counting { get; private set; } = null!;
    public Event<CounterIncremented> Incremented { get; private set; } = null!;
}

public sealed class CounterStateDefinition : SagaDefinition<CounterState>
{
    public CounterStateDefinition() => ConcurrentMessageLimit = 16;

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<CounterState> sagaConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Exponential(30, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(20)));
}

public sealed class CounterDbContext(DbContextOptions<CounterDbContext> options) : DbContext(options)
{
    public const string PostgresDdl = "CREATE TABLE IF NOT EXISTS test_counters (correlation_id uuid PRIMARY KEY, state varchar(32), count integer NOT NULL, version integer NOT NULL)";
    public const string SqliteDdl = "CREATE TABLE IF NOT EXISTS test_counters (correlation_id TEXT PRIMARY KEY, state TEXT, count INTEGER NOT NULL, version INTEGER NOT NULL)";

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<CounterState>(e =>
        {
            e.ToTable("test_counters");
            e.HasKey(x => x.CorrelationId);
            e.Property(x => x.CorrelationId).HasColumnName("correlation_id").ValueGeneratedNever();
            e.Property(x => x.CurrentState).HasColumnName("state");
            e.Property(x => x.Count).HasColumnName("count");
            e.Property(x => x.Version).HasColumnName("version").IsConcurrencyToken();
        });
}
