using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Orchestrator.Api;
using Orchestrator.DeadLetters;
using Orchestrator.Fleet;
using Orchestrator.Persistence;
using Orchestrator.Persistence.Sagas;
using Orchestrator.Retries;
using Orchestrator.Scheduling;
using Orchestrator.StateMachines;
using Orchestrator.StateMachines.Activities;
using Orchestrator.Telemetry;
using Orchestrator.Validation;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Hosting;

public static class OrchestratorServiceCollectionExtensions
{
    /// <summary>
    /// Everything the orchestrator runs: options, the saga store, the state machine on the bus and, in the
    /// embedded mode, the workers. Throws <see cref="OptionsValidationException"/>-style errors naming the setting.
    /// </summary>
    public static IServiceCollection AddOrchestrator(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(OrchestratorOptions.SectionName).Get<OrchestratorOptions>() ?? new OrchestratorOptions();
        if (options.Problem() is { } problem)
            throw new InvalidOperationException(problem);
        services.AddSingleton(Options.Create(options));

        services.AddOptions<ValidationOptions>().BindConfiguration(ValidationOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ValidationOptions>, ProblemValidator<ValidationOptions>>();
        services.AddOptions<RetryPolicyOptions>().BindConfiguration(RetryPolicyOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetryPolicyOptions>, ProblemValidator<RetryPolicyOptions>>();
        services.AddOptions<ReviewOptions>().BindConfiguration(ReviewOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReviewOptions>, ProblemValidator<ReviewOptions>>();
        services.AddOptions<TimeoutOptions>().BindConfiguration(TimeoutOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TimeoutOptions>, ProblemValidator<TimeoutOptions>>();
        // Quartz is configured while services are registered, so its options are read (and checked) here.
        var timers = configuration.GetSection(TimerOptions.SectionName).Get<TimerOptions>() ?? new TimerOptions();
        if (timers.Problem() is { } timerProblem)
            throw new InvalidOperationException(timerProblem);
        services.AddSingleton(Options.Create(timers));
        var retention = configuration.GetSection(RetentionOptions.SectionName).Get<RetentionOptions>() ?? new RetentionOptions();
        if (retention.Problem() is { } retentionProblem)
            throw new InvalidOperationException(retentionProblem);
        services.AddSingleton(Options.Create(retention));
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
            services.AddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<OrchestratorMetrics>();
        services.AddSingleton<FleetView>();
        services.AddStateMachineActivities();

        var faults = configuration.GetSection(FaultInjectionOptions.SectionName).Get<FaultInjectionOptions>() ?? new FaultInjectionOptions();
        var store = StoreSettings.From(options, configuration);
        services.AddSingleton(store);
        var writers = WriterGate.For(store.Kind);
        services.AddSingleton(writers);
        services.AddDbContextPool<OrchestratorDbContext>(db => store.Configure(db));
        services.AddScoped<Submissions>();
        services.AddDurableTimers(store, timers, retention);

        if (options.RunsEmbeddedWorkers)
            services.AddWorkerServices();

        services.AddSingleton(new SagaEndpointSettings(options.EffectiveSagaConcurrency));
        services.AddMassTransit(bus =>
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
                var rabbit = RabbitMqUri(configuration);
                bus.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(rabbit);
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
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            // Without this, messages published right after start can be lost.
            o.WaitUntilStarted = true;
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return services;
    }

    static Uri RabbitMqUri(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString("RabbitMQ");
        if (string.IsNullOrWhiteSpace(value) || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw new InvalidOperationException(
                $"ConnectionStrings:RabbitMQ must be an amqp:// URL when Orchestrator:Transport is RabbitMQ (got '{value}')");
        return uri;
    }

    sealed class ProblemValidator<T> : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options) => options switch
        {
            ValidationOptions v when v.Problem() is { } p => ValidateOptionsResult.Fail(p),
            RetryPolicyOptions r when r.Problem() is { } p => ValidateOptionsResult.Fail(p),
            TimeoutOptions t when t.Problem() is { } p => ValidateOptionsResult.Fail(p),
            ReviewOptions r when r.Problem() is { } p => ValidateOptionsResult.Fail(p),
            _ => ValidateOptionsResult.Success,
        };
    }
}
