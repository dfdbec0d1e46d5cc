using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Orchestrator.Sagas.EntityFrameworkCore;

public static class EfSagaRepositoryRegistrationExtensions
{
    /// <summary>
    /// <c>x.AddSagaStateMachine&lt;M, S&gt;().EntityFrameworkRepository&lt;S, MyDbContext&gt;(o => ...)</c>: persists the
    /// saga with our repository. The DbContext must be registered (scoped) by the caller.
    /// </summary>
    public static ISagaRegistrationConfigurator<TSaga> EntityFrameworkRepository<TSaga, TDbContext>(
        this ISagaRegistrationConfigurator<TSaga> configurator,
        Action<EfSagaRepositoryOptions<TSaga>>? configure = null)
        where TSaga : class, ISaga
        where TDbContext : DbContext
    {
        var options = new EfSagaRepositoryOptions<TSaga>();
        configure?.Invoke(options);

        configurator.Repository(r =>
        {
            r.TryAddSingleton(options);
            r.RegisterSagaRepository<TSaga, TDbContext, SagaConsumeContextFactory<TDbContext, TSaga>, EfSagaRepositoryContextFactory<TSaga, TDbContext>>();
            r.RegisterLoadSagaRepository<TSaga, EfSagaRepositoryContextFactory<TSaga, TDbContext>>();
            r.RegisterQuerySagaRepository<TSaga, EfSagaRepositoryContextFactory<TSaga, TDbContext>>();
        });
        return configurator;
    }
}
