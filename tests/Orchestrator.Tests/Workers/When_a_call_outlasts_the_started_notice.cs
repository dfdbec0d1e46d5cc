using MassTransit;
using Orchestrator.Contracts;
using Orchestrator.SimulatedModel;

namespace Orchestrator.Tests.Workers;

/// <summary>
/// A worker tells the saga an attempt started only when the call outlasts <c>Workers:StartedNoticeDelay</c>: a quick
/// answer carries its own start, a slow one is announced while it runs, before its result.
/// </summary>
public sealed class When_a_call_outlasts_the_started_notice : IAsyncLifetime
{
    readonly ManualClock _clock = new();
    SimulatedModelServer _model = null!;

    public async Task InitializeAsync() => _model = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());

    public async Task DisposeAsync() => await _model.DisposeAsync();

    Task<WorkerSpecHarness> StartAsync(string delay) => WorkerSpecHarness.StartAsync(new Dictionary<string, string?>
    {
        ["Workers:WorkerId"] = "worker-notice",
        ["Workers:Models:sim:Endpoints:0:BaseUrl"] = _model.BaseAddress.ToString(),
        ["Workers:StartedNoticeDelay"] = delay,
    }, _clock);

    static List<AttemptStarted> Started(WorkerSpecHarness worker, string requestId) =>
        worker.Harness.Published.Select<AttemptStarted>().Select(p => p.Context.Message).Where(m => m.RequestId == requestId).ToList();

    [Fact]
    public async Task Should_report_a_quick_answer_with_its_start_and_no_separate_notice()
    {
        await using var worker = await StartAsync("00:00:05");
        var ok = Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("notice-quick", 1));

        Assert.Equal("worker-notice", ok.WorkerId);
        Assert.True(ok.StartedAt <= ok.FinishedAt);
        Assert.Equal(1, _model.Stats.CallsFor("notice-quick"));
        Assert.Empty(Started(worker, "notice-quick"));
    }

    [Fact]
    public async Task Should_announce_a_slow_call_while_it_runs_and_before_its_result()
    {
        await using var worker = await StartAsync("00:00:00.2");
        // What arrives on the bus, as it arrives (the harness's own lists fill in when the consumer ends).
        var arrivals = new System.Collections.Concurrent.ConcurrentQueue<object>();
        var probe = worker.Harness.Bus.ConnectReceiveEndpoint("notice-probe", e =>
        {
            e.Handler<AttemptStarted>(c => { arrivals.Enqueue(c.Message); return Task.CompletedTask; });
            e.Handler<AttemptSucceeded>(c => { arrivals.Enqueue(c.Message); return Task.CompletedTask; });
        });
        await probe.Ready;
        await worker.Harness.Bus.Publish(WorkerSpecHarness.Invoke("notice-slow", 1, "[[sim: slow:4000]]"));

        // The notice leaves while the model is still answering.
        await Eventually.True(() => arrivals.OfType<AttemptStarted>().Any(m => m.RequestId == "notice-slow"), WorkerSpecHarness.Patience,
            "AttemptStarted of notice-slow on the bus");
        Assert.DoesNotContain(arrivals.OfType<AttemptSucceeded>(), m => m.RequestId == "notice-slow");
        var started = arrivals.OfType<AttemptStarted>().Single(m => m.RequestId == "notice-slow");
        Assert.Equal((1, "worker-notice"), (started.Attempt, started.WorkerId));

        await Eventually.True(() => arrivals.OfType<AttemptSucceeded>().Any(m => m.RequestId == "notice-slow"), WorkerSpecHarness.Patience,
            "AttemptSucceeded of notice-slow on the bus");
        var ok = arrivals.OfType<AttemptSucceeded>().Single(m => m.RequestId == "notice-slow");
        Assert.Equal(started.StartedAt, ok.StartedAt);
        Assert.Single(arrivals.OfType<AttemptStarted>(), m => m.RequestId == "notice-slow");
        await probe.StopAsync();
    }

    [Fact]
    public async Task Should_announce_every_call_before_it_is_made_when_the_delay_is_zero()
    {
        await using var worker = await StartAsync("00:00:00");
        var ok = Assert.IsType<AttemptSucceeded>(await worker.AttemptAsync("notice-zero", 1));

        var started = Assert.Single(Started(worker, "notice-zero"));
        Assert.Equal(ok.StartedAt, started.StartedAt);
    }
}
