using MassTransit;
using Orchestrator.Callbacks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.DeadLetters;
using Orchestrator.Fleet;
using Orchestrator.Persistence;
using Orchestrator.Retries;
using Orchestrator.Sagas.EntityFrameworkCore;
using Orchestrator.Scheduling;
using Orchestrator.ServiceDefaults;
using Orchestrator.StateMachines;
using Orchestrator.StateMachines.Activities;
using Orchestrator.Submission;
using Orchestrator.Telemetry;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Hosting;

public static class OrchestratorServiceCollectionExtensions
{
    /// <summary>
    /// Everything the orchestrator runs: options, the saga store, the state machine on the bus and, in the
    /// embedded mode, the workers. A bad setting throws <see cref="OptionsValidationException"/> naming it: here for
    /// the options that decide what is registered, at start for the rest.
    /// </summary>
    public static IServiceCollection AddOrchestrator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<OrchestratorOptions>(OrchestratorOptions.SectionName);
        services.AddValidatedOptions<ValidationOptions>(ValidationOptions.SectionName);
        services.AddValidatedOptions<RetryPolicyOptions>(RetryPolicyOptions.SectionName);
        services.AddValidatedOptions<ReviewOptions>(ReviewOptions.SectionName);
        services.AddValidatedOptions<TimeoutOptions>(TimeoutOptions.SectionName);
        services.AddValidatedOptions<TimerOptions>(TimerOptions.SectionName);
        services.AddValidatedOptions<RetentionOptions>(RetentionOptions.SectionName);
        // The store, the transport, the embedded workers and Quartz are chosen while services are registered, so
        // their options are read (and checked) now as well.
        var options = configuration.GetValidatedOptions<OrchestratorOptions>(OrchestratorOptions.SectionName);
        var timers = configuration.GetValidatedOptions<TimerOptions>(TimerOptions.SectionName);
        var retention = configuration.GetValidatedOptions<RetentionOptions>(RetentionOptions.SectionName);
        var faults = configuration.GetValidatedOptions<FaultInjectionOptions>(FaultInjectionOptions.SectionName);
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
            services.AddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<OrchestratorMetrics>();
        services.AddSingleton<FleetView>();
        services.AddStateMachineActivities();

        var store = StoreSettings.From(options, configuration);
        services.AddSingleton(store);
        var writers = store.Kind == StoreKind.Sqlite ? WriterGate.SingleWriter() : WriterGate.Open;
        services.AddSingleton(writers);
        services.AddCallbacks();
        services.AddDbContextPool<OrchestratorDbContext>((provider, db) =>
        {
            store.Configure(db);
            db.AddInterceptors(provider.GetRequiredService<CallbackOutbox>());
        });
        services.AddScoped<Submissions>();
        services.AddScoped<Batches.BatchSubmissions>();
        services.AddSingleton<Batches.BatchDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Batches.BatchDispatcher>());
        services.AddDurableTimers(store, timers, retention);

        if (options.RunsEmbeddedWorkers)
            services.AddWorkerServices();

        services.AddSingleton(new SagaEndpointSettings(options.EffectiveSagaConcurrency));
        services.AddMessageBus(bus =>
        {
            bus.AddSagaStateMachine<InferenceRequestStateMachine, InferenceRequestState, InferenceRequestStateDefinition>()
                .EntityFrameworkRepository<InferenceRequestState, OrchestratorDbContext>(r =>
                {
                    r.Query = q => q.Include(x => x.Attempts);
                    r.AfterCommit = faults.AfterCommitHook();
                    r.PrepareNew = RequestGenerations.NumberAsync;
                    r.Writers = writers;
                });
            bus.AddConsumer<FleetEventsConsumer, FleetEventsConsumerDefinition>();
            if (options.RunsEmbeddedWorkers)
                bus.AddWorkerConsumers();

            if (options.Transport == TransportKind.RabbitMQ)
            {
                var rabbit = RabbitMqHost.UriFrom(configuration, requiredWhen: "Orchestrator:Transport is RabbitMQ");
                bus.UsingRabbitMqAt(rabbit, (context, cfg) =>
                {
                    cfg.ConfigureDeadLetterCollectors(context);
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                bus.UsingInMemory((context, cfg) =>
                {
                    cfg.ConfigureDeadLetterCollectors(context);
                    cfg.ConfigureEndpoints(context);
                });
            }
        });
        return services;
    }
}
