using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>Durability of attempts and timers when a worker or an orchestrator is killed (SIGKILL) mid-flight.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_processes_crash_mid_flight
{
    [Fact]
    public async Task Should_not_call_the_model_twice_for_an_attempt_whose_worker_was_killed_and_finish_on_another_worker()
    {
        await using var cluster = await ProductionCluster.StartAsync(workers: 2, orchestratorSettings: new Dictionary<string, string>
        {
            // The backstop if the broker were slow to hand the invoke to the surviving worker.
            ["Orchestrator__Timeouts__StartToCloseTimeout"] = "00:00:08",
        });
        var id = $"kill-worker-{Guid.NewGuid():N}"[..24];
        await cluster.SubmitAsync(id, "Take your time [[sim: slow:30000, ok]]");

        // The first attempt is in flight inside the model call: find the worker that holds it, and kill it.
        await Eventually.Until(() => cluster.ModelCallsAsync(id), n => n == 1, TimeSpan.FromSeconds(20), "the first call reached the model");
        var first = (await Eventually.Until(() => cluster.AttemptsAsync(id), a => a.Count == 1 && a[0].WorkerId is not null,
            TimeSpan.FromSeconds(20), "the first attempt's worker is known"))[0];
        await cluster.KillAsync(first.WorkerId!);

        await cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(45));
        var attempts = await cluster.AttemptsAsync(id);
        Assert.Equal(2, attempts.Count);
        Assert.True(attempts[0].Cause is "abandoned" or "timeout", $"attempt 1 ended with cause {attempts[0].Cause}");
        Assert.Equal("Succeeded", attempts[1].Outcome);
        Assert.NotEqual(first.WorkerId, attempts[1].WorkerId);
        // One call per attempt: the redelivered invoke of attempt 1 was not sent to the model again.
        Assert.Equal(2, await cluster.ModelCallsAsync(id));
    }

    [Fact]
    public async Task Should_fire_every_scheduled_retry_once_after_the_orchestrator_is_killed_and_started_again()
    {
        await using var cluster = await ProductionCluster.StartAsync();
        var run = Guid.NewGuid().ToString("N")[..6];
        var ids = Enumerable.Range(1, 50).Select(i => $"restart-{run}-{i:D2}").ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
            await cluster.SubmitAsync(id, $"Request {id} [[sim: 503, ok]]", new { retry = new { initialIntervalMs = 5000 } }));
        try
        {
            await Eventually.Until(() => cluster.CountAsync($"request_id LIKE 'restart-{run}-%' AND state = 'RetryScheduled'"),
                n => n == 50, TimeSpan.FromSeconds(45), "50 retries scheduled");
        }
        catch (TimeoutException timeout)
        {
            // Where the requests are instead, and what the processes said, read at the time of the failure.
            var states = new List<string>();
            foreach (var state in new[] { "Pending", "Processing", "RetryScheduled", "Succeeded", "Failed" })
                states.Add($"{state} {await cluster.CountAsync($"request_id LIKE 'restart-{run}-%' AND state = '{state}'")}");
            throw new TimeoutException($"{timeout.Message}; by state: {string.Join(", ", states)}\n{cluster.Diagnostics}", timeout);
        }

        await cluster.KillAsync("orchestrator-1");
        await Task.Delay(TimeSpan.FromSeconds(5)); // every retry falls due while no orchestrator runs
        await cluster.StartOrchestratorAsync("orchestrator-1");

        await Eventually.Until(() => cluster.CountAsync($"request_id LIKE 'restart-{run}-%' AND state = 'Succeeded'"),
            n => n == 50, TimeSpan.FromSeconds(60), "50 requests Succeeded after the restart", () => cluster.Diagnostics);
        foreach (var id in ids)
        {
            var attempts = await cluster.AttemptsAsync(id);
            Assert.True(attempts.Count == 2, $"{id} has {attempts.Count} attempts");
            Assert.Equal(2, await cluster.ModelCallsAsync(id));
        }
    }

    [Fact]
    public async Task Should_fire_every_scheduled_retry_exactly_once_with_two_orchestrators_on_one_database()
    {
        await using var cluster = await ProductionCluster.StartAsync(orchestrators: 2);
        var run = Guid.NewGuid().ToString("N")[..6];
        var ids = Enumerable.Range(1, 50).Select(i => $"pair-{run}-{i:D2}").ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
            await cluster.SubmitAsync(id, $"Request {id} [[sim: 503, ok]]", new { retry = new { initialIntervalMs = 1000 } }));

        await Eventually.Until(() => cluster.CountAsync($"request_id LIKE 'pair-{run}-%' AND state = 'Succeeded'"),
            n => n == 50, TimeSpan.FromSeconds(60), "50 requests Succeeded", () => cluster.Diagnostics);
        foreach (var id in ids)
        {
            var attempts = await cluster.AttemptsAsync(id);
            Assert.True(attempts.Count == 2, $"{id} has {attempts.Count} attempts");
            // The retry timer fired once due, and before the attempt it started.
            Assert.True(attempts[0].FiredAt >= attempts[0].ScheduledFor && attempts[0].FiredAt <= attempts[1].StartedAt,
                $"{id}: fired at {attempts[0].FiredAt:O}, due {attempts[0].ScheduledFor:O}, attempt 2 started {attempts[1].StartedAt:O}");
            Assert.Equal(2, await cluster.ModelCallsAsync(id));
        }
    }
}
