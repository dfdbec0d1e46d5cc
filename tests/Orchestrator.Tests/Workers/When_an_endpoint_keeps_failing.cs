using System.Diagnostics.Metrics;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Contracts;
using Orchestrator.SimulatedModel;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.Resilience;
using Orchestrator.Workers.Telemetry;

namespace Orchestrator.Tests.Workers;

/// <summary>
/// The worker's consumer with its circuit breakers, against real simulated model servers on a clock the test moves:
/// the breaker opens after the configured failures, fails fast while open with no call reaching the server, half-opens
/// after the break and closes on success; with a second endpoint the attempt falls back to it.
/// </summary>
public sealed class When_an_endpoint_keeps_failing : IAsyncLifetime
{
    readonly ManualClock _clock = new();
    SimulatedModelServer _primary = null!;
    SimulatedModelServer _fallback = null!;
    WorkerSpecHarness? _worker;

    public async Task InitializeAsync()
    {
        _primary = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        // The fallback is healthy; the primary fails by script (one endpoint) or always (two endpoints).
        _fallback = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
    }

    public async Task DisposeAsync()
    {
        if (_worker is not null)
            await _worker.DisposeAsync();
        await _primary.DisposeAsync();
        await _fallback.DisposeAsync();
    }

    async Task StartWorker(bool withFallback, SimulatedModelServer? primary = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Workers:WorkerId"] = "worker-test",
            ["Workers:Models:sim:Endpoints:0:Name"] = "primary",
            ["Workers:Models:sim:Endpoints:0:BaseUrl"] = (primary ?? _primary).BaseAddress.ToString(),
            // Every call tells the saga it started, however quick: the open breaker's fast-fail is the one that does not.
            ["Workers:StartedNoticeDelay"] = "00:00:00",
            // Refused at once while open, not held (When_every_endpoint_is_open_or_cooling_down holds them).
            ["Workers:HoldWhileOpen"] = "00:00:00",
        };
        if (withFallback)
        {
            settings["Workers:Models:sim:Endpoints:1:Name"] = "fallback";
            settings["Workers:Models:sim:Endpoints:1:BaseUrl"] = _fallback.BaseAddress.ToString();
            // Per-endpoint override: the fallback opens after a single failure.
            settings["Workers:Models:sim:Endpoints:1:CircuitBreaker:ConsecutiveFailures"] = "1";
        }
        _worker = await WorkerSpecHarness.StartAsync(settings, _clock);
    }

    /// <summary>Sends one invoke and waits (bounded) for its result: AttemptSucceeded or AttemptFailed.</summary>
    Task<object> Attempt(string requestId, int attempt, string script) => _worker!.AttemptAsync(requestId, attempt, script);

    BreakerState StateOf(string endpoint)
    {
        var breakers = _worker!.Services.GetRequiredService<EndpointBreakers>();
        var options = _worker.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WorkerOptions>>().Value.Models["sim"].Endpoints;
        return breakers.For(options.Single(e => e.DisplayName == endpoint)).State;
    }

    /// <summary>Reads the breaker-state gauge of this test's own meter, as an exporter would.</summary>
    Dictionary<string, int> Gauge()
    {
        var factory = _worker!.Services.GetRequiredService<IMeterFactory>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WorkerMetrics.MeterName && instrument.Meter.Scope == factory && instrument.Name == "worker.endpoint.breaker_state")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "endpoint")
                    seen[(string)tag.Value!] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    [Fact]
    public async Task Should_fail_fast_while_open_without_calling_the_server_then_half_open_and_close_on_success()
    {
        await StartWorker(withFallback: false);
        const string id = "breaker-1";
        const string script = "[[sim: 503, 503, 503, ok]]";
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var failed = Assert.IsType<AttemptFailed>(await Attempt(id, attempt, script));
            Assert.Equal((FailureKind.Transient, "http-503", "primary"), (failed.Kind, failed.Cause, failed.Endpoint));
        }
        Assert.Equal(BreakerState.Open, StateOf("primary"));
        Assert.Equal(2, Gauge()["primary"]);

        // Open: no call reaches the server, no AttemptStarted, and the failure says when to come back.
        var openedAt = _clock.GetUtcNow();
        var fastFail = Assert.IsType<AttemptFailed>(await Attempt(id, 4, script));
        Assert.Equal(FailureKind.CircuitOpen, fastFail.Kind);
        Assert.Equal("circuit-open", fastFail.Cause);
        Assert.Equal(openedAt.AddSeconds(5), fastFail.RetryAt);
        Assert.Null(fastFail.Endpoint);
        Assert.Contains("primary open until", fastFail.Reason, StringComparison.Ordinal);
        Assert.Equal(3, _primary.Stats.CallsFor(id));
        Assert.Equal(3, _worker!.Harness.Published.Select<AttemptStarted>().Count());

        // After the break: one probe goes through, the server answers, the breaker closes.
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(BreakerState.HalfOpen, StateOf("primary"));
        Assert.Equal(1, Gauge()["primary"]);
        var ok = Assert.IsType<AttemptSucceeded>(await Attempt(id, 4, script));
        Assert.Equal("primary", ok.Endpoint);
        Assert.Equal(4, _primary.Stats.CallsFor(id));
        Assert.Equal(BreakerState.Closed, StateOf("primary"));
        Assert.Equal(0, Gauge()["primary"]);
    }

    [Fact]
    public async Task Should_reopen_when_the_probe_fails()
    {
        await StartWorker(withFallback: false);
        const string id = "breaker-2";
        const string script = "[[sim: 503, 503, 503, 503, ok]]";
        for (var attempt = 1; attempt <= 3; attempt++)
            Assert.IsType<AttemptFailed>(await Attempt(id, attempt, script));
        _clock.Advance(TimeSpan.FromSeconds(5));

        var probe = Assert.IsType<AttemptFailed>(await Attempt(id, 4, script));
        Assert.Equal(FailureKind.Transient, probe.Kind);
        Assert.Equal(BreakerState.Open, StateOf("primary"));
        var again = Assert.IsType<AttemptFailed>(await Attempt(id, 5, script));
        Assert.Equal(FailureKind.CircuitOpen, again.Kind);
        Assert.Equal(_clock.GetUtcNow().AddSeconds(5), again.RetryAt);
        Assert.Equal(4, _primary.Stats.CallsFor(id));
    }

    [Fact]
    public async Task Should_not_count_a_400_against_the_endpoint()
    {
        await StartWorker(withFallback: false);
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var failed = Assert.IsType<AttemptFailed>(await Attempt("breaker-3", attempt, "[[sim: 400, 400, 400, 400]]"));
            Assert.Equal(FailureKind.Permanent, failed.Kind);
        }
        Assert.Equal(BreakerState.Closed, StateOf("primary"));
    }

    [Fact]
    public async Task Should_fall_back_to_the_next_endpoint_while_the_primary_is_open_and_report_the_earliest_half_open_when_all_are()
    {
        await using var broken = await SimulatedModelServer.StartAsync(new SimulatedModelOptions { FaultRate = 1, FaultMix = new() { ["503"] = 1 } });
        await StartWorker(withFallback: true, primary: broken);
        const string id = "breaker-4";
        for (var attempt = 1; attempt <= 3; attempt++)
            Assert.Equal("primary", Assert.IsType<AttemptFailed>(await Attempt(id, attempt, "")).Endpoint);
        Assert.Equal(3, broken.Stats.CallsFor(id));

        var served = Assert.IsType<AttemptSucceeded>(await Attempt(id, 4, ""));
        Assert.Equal("fallback", served.Endpoint);
        Assert.Equal(3, broken.Stats.CallsFor(id));
        Assert.Equal(1, _fallback.Stats.CallsFor(id));

        // The fallback fails once (its override: one failure opens it) a second later: now both are open, and the
        // worker names the primary's half-open time, the earlier of the two.
        var primaryOpenUntil = _clock.GetUtcNow().AddSeconds(5);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.IsType<AttemptFailed>(await Attempt("breaker-5", 1, "[[sim: 503]]"));
        Assert.Equal(BreakerState.Open, StateOf("fallback"));
        var allOpen = Assert.IsType<AttemptFailed>(await Attempt("breaker-5", 2, "[[sim: 503]]"));
        Assert.Equal(FailureKind.CircuitOpen, allOpen.Kind);
        Assert.Equal(primaryOpenUntil, allOpen.RetryAt);
        Assert.Contains("primary open until", allOpen.Reason, StringComparison.Ordinal);
        Assert.Contains("fallback open until", allOpen.Reason, StringComparison.Ordinal);
        Assert.Equal(0, broken.Stats.CallsFor("breaker-5"));
    }
}
