using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Contracts;
using Orchestrator.Retries;
using Orchestrator.StateMachines;
using Orchestrator.StateMachines.Activities;
using Orchestrator.Submission;
using Orchestrator.Telemetry;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// A fresh MassTransit test harness per spec, with the state machine on the in-memory saga repository and on a clock
/// the spec moves: a backoff or a deadline passes when the spec advances <see cref="Clock"/>, not by sleeping.
/// </summary>
public sealed class SagaSpecHarness : IAsyncDisposable
{
    /// <summary>How long a spec waits for the bus to do something (one value for every wait).</summary>
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    readonly ServiceProvider _provider;

    /// <summary>The message types the machine consumes (it publishes none of them).</summary>
    readonly HashSet<Type> _consumedBySaga;

    /// <summary>The harness's services, e.g. the <see cref="Orchestrator.Fleet.FleetView"/> a test feeds.</summary>
    public IServiceProvider Provider => _provider;

    SagaSpecHarness(ServiceProvider provider)
    {
        _provider = provider;
        Harness = provider.GetRequiredService<ITestHarness>();
        Saga = Harness.GetSagaStateMachineHarness<InferenceRequestStateMachine, InferenceRequestState>();
        Metrics = provider.GetRequiredService<OrchestratorMetrics>();
        Machine = provider.GetRequiredService<InferenceRequestStateMachine>();
        Clock = (FakeTimeProvider)provider.GetRequiredService<TimeProvider>();
        _consumedBySaga = [.. InferenceRequestStateDefinition.PartitionedMessages(Machine).Select(m => m.Type)];
    }

    public ITestHarness Harness { get; }
    public ISagaStateMachineTestHarness<InferenceRequestStateMachine, InferenceRequestState> Saga { get; }
    public OrchestratorMetrics Metrics { get; }
    public InferenceRequestStateMachine Machine { get; }

    /// <summary>
    /// The machine's and the fleet view's clock. It starts at a fixed instant and stands still until a spec moves it
    /// (<c>Clock.Advance(...)</c>); times a spec puts in messages come from it too.
    /// </summary>
    public FakeTimeProvider Clock { get; }

    /// <summary>Now on <see cref="Clock"/>.</summary>
    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <param name="timeouts">Changes to the default timeouts.</param>
    /// <param name="validation">Changes to the default input limits.</param>
    /// <param name="withDefinition">
    /// Configure the saga's endpoint as production does (<see cref="InferenceRequestStateDefinition"/>: retry,
    /// outbox, partitioner); off by default, so that a spec sees each publish as the machine makes it.
    /// </param>
    public static async Task<SagaSpecHarness> StartAsync(Action<TimeoutOptions>? timeouts = null, Action<ValidationOptions>? validation = null,
        bool withDefinition = false)
    {
        var timeoutOptions = new TimeoutOptions();
        timeouts?.Invoke(timeoutOptions);
        var validationOptions = new ValidationOptions();
        validation?.Invoke(validationOptions);
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddMetrics();
        services.AddSingleton<OrchestratorMetrics>();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero)));
        services.AddSingleton<Orchestrator.Fleet.FleetView>();
        services.AddSingleton<Orchestrator.Scheduling.RetryWakeups>();
        services.AddSingleton(Options.Create(validationOptions));
        services.AddSingleton(Options.Create(new RetryPolicyOptions()));
        services.AddSingleton(Options.Create(timeoutOptions));
        services.AddSingleton(Options.Create(new ReviewOptions()));
        services.AddStateMachineActivities();
        services.AddSingleton(new SagaEndpointSettings(ConcurrencyLimit: 4));
        services.AddMassTransitTestHarness(x =>
        {
            if (withDefinition)
            {
                x.AddSagaStateMachine<InferenceRequestStateMachine, InferenceRequestState, InferenceRequestStateDefinition>().InMemoryRepository();
            }
            else
            {
                x.AddSagaStateMachine<InferenceRequestStateMachine, InferenceRequestState>().InMemoryRepository();
                // The saga endpoint reads requests as production does (InferenceRequestStateDefinition).
                x.AddConfigureEndpointsCallback((_, _, endpoint) => endpoint.UseRequestMessageDeserializer());
            }
        });
        var provider = services.BuildServiceProvider(validateScopes: true);
        var spec = new SagaSpecHarness(provider);
        await spec.Harness.Start();
        return spec;
    }

    public static InferenceRequested Request(string requestId, string text = "Hello") => new()
    {
        RequestId = requestId,
        Model = "sim",
        Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText(text)] }],
    };

    public AttemptStarted Started(string requestId, int attempt) =>
        new() { RequestId = requestId, Attempt = attempt, WorkerId = "worker-a", StartedAt = Now };

    public AttemptSucceeded Succeeded(string requestId, int attempt, double confidence = 0.95) => new()
    {
        RequestId = requestId,
        Attempt = attempt,
        WorkerId = "worker-a",
        Endpoint = "sim",
        Output = "Hi there",
        HttpStatus = 200,
        Confidence = confidence,
        StartedAt = Now.AddMilliseconds(-40),
        FinishedAt = Now,
    };

    public AttemptFailed Failed(string requestId, int attempt, FailureKind kind = FailureKind.Permanent, int status = 400, TimeSpan? retryAfter = null) => new()
    {
        Cause = $"http-{status}",
        RetryAfter = retryAfter,
        RequestId = requestId,
        Attempt = attempt,
        WorkerId = "worker-a",
        Endpoint = "sim",
        Kind = kind,
        Reason = $"HTTP {status} from sim: bad request",
        HttpStatus = status,
        StartedAt = Now.AddMilliseconds(-40),
        FinishedAt = Now,
    };

    /// <summary>
    /// Tells the harness's fleet view that model "sim" has one endpoint, "only", on worker "w1", and that it cools down
    /// for <paramref name="cooldown"/> (a 429 with Retry-After): every dispatch of "sim" is held until the returned time.
    /// </summary>
    public DateTimeOffset CoolDownTheOnlyEndpoint(TimeSpan cooldown)
    {
        var fleet = Provider.GetRequiredService<Orchestrator.Fleet.FleetView>();
        var now = Now;
        fleet.Heard(new WorkerHeartbeat
        {
            WorkerId = "w1",
            At = now,
            Interval = TimeSpan.FromSeconds(5),
            Endpoints = [new EndpointReport { Model = "sim", Endpoint = "only", Breaker = "Closed" }],
        });
        var until = now + cooldown;
        fleet.Heard(new EndpointCoolingDown
        {
            Endpoint = "only",
            Model = "sim",
            Until = until,
            Cause = EndpointCoolingDown.RetryAfterCause,
            Reason = $"HTTP 429 with Retry-After {cooldown.TotalSeconds:0.###} s",
            WorkerId = "w1",
            At = now,
        });
        return until;
    }

    /// <summary>Waits (bounded) until the saga is in <paramref name="state"/>; returns it, or null on timeout.</summary>
    public async Task<InferenceRequestState?> InState(string requestId, Func<InferenceRequestStateMachine, State> state)
    {
        var id = RequestIdentity.ToCorrelationId(requestId);
        var found = await Saga.Exists(id, state, Patience);
        return found is null ? null : Saga.Sagas.Contains(id);
    }

    /// <summary>
    /// Waits (bounded) until the bus has consumed every message published to the saga so far (each consumed once,
    /// the publishes it caused made before the harness records it as consumed). The machine publishes none of the
    /// messages it consumes, so once the spec stops publishing nothing more can come: an absence checked after
    /// this is an absence. (The harness's own inactivity wait completes only once, so it cannot tell a second wait
    /// from the first.)
    /// </summary>
    public async Task Settle()
    {
        var published = Harness.Published.Select<object>().Count(m => _consumedBySaga.Contains(m.MessageType));
        await Eventually.Until(() => Harness.Consumed.Select<object>().Count(), consumed => consumed >= published, Patience,
            $"the bus consumed the {published} messages published to the saga");
    }

    /// <summary>
    /// The messages of type <typeparamref name="T"/> matching <paramref name="match"/> published once the bus has
    /// settled (<see cref="Settle"/>): what a spec asserts is empty, or has one element, when it checks that
    /// something did not happen.
    /// </summary>
    public async Task<IReadOnlyList<T>> PublishedOnceSettled<T>(Func<T, bool>? match = null)
        where T : class
    {
        await Settle();
        return [.. Harness.Published.Select<T>().Select(m => m.Context.Message).Where(m => match?.Invoke(m) ?? true)];
    }

    /// <summary>
    /// Waits (bounded) until a message of type <typeparamref name="T"/> matching <paramref name="match"/> was published.
    /// A saga's state changes before the activities after its transition run, so a spec that saw the state may look
    /// for the message a moment too early; and the harness's own wait ends for good at its first inactivity.
    /// </summary>
    public Task<bool> WasPublished<T>(Func<T, bool> match)
        where T : class =>
        Eventually.Holds(() => Harness.Published.Select<T>().Any(m => match(m.Context.Message)), Patience);

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }
}
