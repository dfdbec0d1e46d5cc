using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Contracts;
using Orchestrator.SimulatedModel;
using Orchestrator.Workers.Resilience;

namespace Orchestrator.Tests.Workers;

/// <summary>
/// An invoke that finds every endpoint of its model open or cooling down waits in the worker for one to take a call,
/// instead of being refused and coming back with the rest of the backlog: the half-open breaker's one probe goes
/// first, the others follow its success. What the worker may not hold (too long a wait, past the deadline, no place
/// left) is refused as before. Real simulated model servers count every call; the test moves the clock.
/// </summary>
public sealed class When_every_endpoint_is_open_or_cooling_down : IAsyncLifetime
{
    readonly ManualClock _clock = new();
    SimulatedModelServer _model = null!;
    WorkerSpecHarness? _worker;

    public async Task InitializeAsync() => _model = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());

    public async Task DisposeAsync()
    {
        if (_worker is not null)
            await _worker.DisposeAsync();
        await _model.DisposeAsync();
    }

    async Task<WorkerSpecHarness> StartWorker(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Workers:WorkerId"] = "worker-hold",
            ["Workers:Models:sim:Endpoints:0:Name"] = "solo",
            ["Workers:Models:sim:Endpoints:0:BaseUrl"] = _model.BaseAddress.ToString(),
        };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        return _worker = await WorkerSpecHarness.StartAsync(settings, _clock);
    }

    /// <summary>Three 503s in a row open the breaker of the one endpoint for 5 s (the clock's 5 s).</summary>
    static async Task OpenTheBreaker(WorkerSpecHarness worker)
    {
        for (var attempt = 1; attempt <= 3; attempt++)
            Assert.IsType<AttemptFailed>(await worker.AttemptAsync("opener", attempt, "[[sim: 503, 503, 503]]"));
        Assert.Equal(BreakerState.Open, Breaker(worker).State);
    }

    static CircuitBreaker Breaker(WorkerSpecHarness worker)
    {
        var endpoint = worker.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Orchestrator.Workers.Hosting.WorkerOptions>>().Value.Models["sim"].Endpoints[0];
        return worker.Services.GetRequiredService<EndpointBreakers>().For(endpoint);
    }

    static int CircuitOpenRefusals(WorkerSpecHarness worker) =>
        worker.Harness.Published.Select<AttemptFailed>().Count(m => m.Context.Message.Kind == FailureKind.CircuitOpen);

    long CallsFor(params string[] ids) => ids.Sum(_model.Stats.CallsFor);

    [Fact]
    public async Task Should_hold_the_invokes_and_let_one_probe_go_first_then_the_rest_once_it_succeeded()
    {
        var worker = await StartWorker();
        await OpenTheBreaker(worker);
        var held = worker.Services.GetRequiredService<HeldInvokes>();

        // Each answer takes 1.5 s, so the probe is still out when the others look again.
        string[] ids = ["held-a", "held-b", "held-c"];
        foreach (var id in ids)
            await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke(id, 1, "[[sim: slow:1500]]"));
        await Eventually.Until(() => held.Count, count => count == 3, WorkerSpecHarness.Patience, "three invokes held while the breaker is open");
        Assert.Equal(0, CallsFor(ids));
        Assert.All(ids, id => Assert.Null(worker.Result(id, 1)));

        // The break is over: one of them is the half-open probe, the other two wait for its answer.
        _clock.Advance(TimeSpan.FromSeconds(5));
        await Eventually.Until(() => CallsFor(ids), calls => calls == 1, WorkerSpecHarness.Patience, "the probe's call at the model");
        Assert.Equal(2, held.Count);
        Assert.Equal(BreakerState.HalfOpen, Breaker(worker).State);

        await Eventually.True(() => ids.All(id => worker.Result(id, 1) is not null), WorkerSpecHarness.Patience, "results for the three held invokes");
        Assert.All(ids, id => Assert.IsType<AttemptSucceeded>(worker.Result(id, 1)));
        Assert.All(ids, id => Assert.Equal(1, _model.Stats.CallsFor(id)));
        Assert.Equal(0, CircuitOpenRefusals(worker));
        Assert.Equal(0, held.Count);
        Assert.Equal(BreakerState.Closed, Breaker(worker).State);
    }

    [Fact]
    public async Task Should_refuse_at_once_what_it_has_no_place_for_or_what_the_deadline_would_end_first()
    {
        var worker = await StartWorker(new() { ["Workers:MaxHeldInvokes"] = "1" });
        await OpenTheBreaker(worker);
        var openUntil = Breaker(worker).OpenUntil!.Value;

        await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke("first", 1));
        await Eventually.Until(() => worker.Services.GetRequiredService<HeldInvokes>().Count, count => count == 1, WorkerSpecHarness.Patience, "the first invoke held");

        // The one place is taken.
        var refused = Assert.IsType<AttemptFailed>(await worker.AttemptAsync("second", 1));
        Assert.Equal((FailureKind.CircuitOpen, openUntil), (refused.Kind, refused.RetryAt));

        // A deadline before the half-open time: holding could only end in a refusal.
        var lastCall = WorkerSpecHarness.Invoke("hurried", 1) with { Deadline = _clock.GetUtcNow().AddSeconds(2) };
        await worker.Harness.Bus.Publish(lastCall);
        var hurried = Assert.IsType<AttemptFailed>(await Eventually.Until(() => worker.Result("hurried", 1), r => r is not null,
            WorkerSpecHarness.Patience, "a result for hurried"));
        Assert.Equal(FailureKind.CircuitOpen, hurried.Kind);
        Assert.Equal(0, CallsFor("first", "second", "hurried"));

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.IsType<AttemptSucceeded>(await Eventually.Until(() => worker.Result("first", 1), r => r is not null, WorkerSpecHarness.Patience, "a result for first"));
        Assert.Equal(1, CallsFor("first"));
    }

    [Fact]
    public async Task Should_hold_for_a_cooldown_no_longer_than_HoldWhileOpen_then_refuse_with_the_time_it_ends()
    {
        var worker = await StartWorker(new() { ["Workers:HoldWhileOpen"] = "00:00:30" });
        var start = _clock.GetUtcNow();
        await CoolDown(worker, start.AddSeconds(20));

        await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke("cooled", 1));
        await Eventually.Until(() => worker.Services.GetRequiredService<HeldInvokes>().Count, count => count == 1, WorkerSpecHarness.Patience, "the invoke held");

        // Another worker extends the cooldown past what this one holds an invoke for.
        _clock.Advance(TimeSpan.FromSeconds(15));
        await CoolDown(worker, start.AddSeconds(55));
        Assert.Null(worker.Result("cooled", 1));
        _clock.Advance(TimeSpan.FromSeconds(16));

        var refused = Assert.IsType<AttemptFailed>(await Eventually.Until(() => worker.Result("cooled", 1), r => r is not null,
            WorkerSpecHarness.Patience, "a result for cooled"));
        Assert.Equal((FailureKind.CircuitOpen, start.AddSeconds(55)), (refused.Kind, refused.RetryAt));
        Assert.Equal(0, CallsFor("cooled"));
    }

    async Task CoolDown(WorkerSpecHarness worker, DateTimeOffset until)
    {
        var before = worker.Harness.Consumed.Select<EndpointCoolingDown>().Count();
        await worker.Harness.Bus.Publish(new EndpointCoolingDown
        {
            Endpoint = "solo",
            Model = "sim",
            Until = until,
            Cause = EndpointCoolingDown.RetryAfterCause,
            Reason = "HTTP 429 with Retry-After",
            WorkerId = "worker-other",
            At = _clock.GetUtcNow(),
        });
        await Eventually.True(() => worker.Harness.Consumed.Select<EndpointCoolingDown>().Count() > before, WorkerSpecHarness.Patience, "the cooldown consumed");
    }
}
