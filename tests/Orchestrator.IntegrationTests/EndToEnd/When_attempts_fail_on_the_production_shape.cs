using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>Retries on durable timers, with the orchestrator, a worker and the model as separate processes.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_attempts_fail_on_the_production_shape(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    ProductionCluster Cluster => app.Cluster;

    static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)];

    [Fact]
    public async Task Should_succeed_on_the_third_attempt_after_two_503s_with_gaps_inside_the_jitter_bounds()
    {
        var id = NewId("r503");
        await Cluster.SubmitAsync(id, "Hello [[sim: 503, 503, ok]]");
        // With the defaults this is Succeeded within 15 s of submission.
        await Cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(15));

        var attempts = await Cluster.AttemptsAsync(id);
        Assert.Equal(3, attempts.Count);
        Assert.Equal(["Failed", "Failed", "Succeeded"], attempts.Select(a => a.Outcome));
        Assert.All(attempts.Take(2), a => Assert.Equal("http-503", a.Cause));
        // The http-503 override: retries start at 2 s and double, proportional jitter takes 50–100% of that.
        Assert.InRange(attempts[0].BackoffMs!.Value, 1000, 2000);
        Assert.InRange(attempts[1].BackoffMs!.Value, 2000, 4000);
        for (var i = 0; i < 2; i++)
        {
            var gap = attempts[i + 1].StartedAt!.Value - attempts[i].FinishedAt!.Value;
            Assert.True(gap >= TimeSpan.FromMilliseconds(attempts[i].BackoffMs!.Value), $"attempt {i + 2} started {gap.TotalMilliseconds} ms after attempt {i + 1}, before its backoff of {attempts[i].BackoffMs} ms");
            Assert.True(gap <= TimeSpan.FromMilliseconds(attempts[i].BackoffMs!.Value + 2000), $"attempt {i + 2} started {gap.TotalMilliseconds} ms after attempt {i + 1}: far past its backoff of {attempts[i].BackoffMs} ms");
            Assert.NotNull(attempts[i].FiredAt);
            Assert.True(attempts[i].FiredAt >= attempts[i].ScheduledFor, "a timer fired before it was due");
        }
        Assert.Equal(3, await Cluster.ModelCallsAsync(id));
    }

    [Fact]
    public async Task Should_show_Processing_while_a_slow_call_runs_and_record_the_start_of_a_quick_one_without_it()
    {
        // Over RabbitMQ: the worker announces a call that outlasts Workers:StartedNoticeDelay (500 ms) while it runs;
        // a quick answer goes from Pending straight to Succeeded, its attempt row still saying who started it when.
        var slow = NewId("rslow");
        var quick = NewId("rquick");
        var submitted = DateTime.UtcNow;
        await Cluster.SubmitAsync(slow, "Take your time [[sim: slow:12000]]");
        await Cluster.SubmitAsync(quick, "Be quick");

        await Cluster.WaitForStateAsync(slow, "Processing", TimeSpan.FromSeconds(10));
        var running = Assert.Single(await Cluster.AttemptsAsync(slow));
        Assert.NotNull(running.WorkerId);
        Assert.InRange(running.StartedAt!.Value, submitted, DateTime.UtcNow);
        Assert.Null(running.FinishedAt);

        await Cluster.WaitForStateAsync(quick, "Succeeded", TimeSpan.FromSeconds(15));
        var answered = Assert.Single(await Cluster.AttemptsAsync(quick));
        Assert.NotNull(answered.WorkerId);
        Assert.InRange(answered.StartedAt!.Value, submitted, DateTime.UtcNow);
        Assert.True(answered.FinishedAt >= answered.StartedAt);

        await Cluster.WaitForStateAsync(slow, "Succeeded", TimeSpan.FromSeconds(30));
        var done = Assert.Single(await Cluster.AttemptsAsync(slow));
        Assert.Equal(running.StartedAt, done.StartedAt);
        Assert.True(done.FinishedAt - done.StartedAt >= TimeSpan.FromSeconds(11.5), $"the slow call took {(done.FinishedAt - done.StartedAt)?.TotalMilliseconds} ms");
        Assert.Equal(1, await Cluster.ModelCallsAsync(slow));
    }

    [Fact]
    public async Task Should_fail_a_400_after_one_attempt_and_a_401_after_two()
    {
        var bad = NewId("r400");
        var auth = NewId("r401");
        await Cluster.SubmitAsync(bad, "Reject me [[sim: 400]]");
        await Cluster.SubmitAsync(auth, "Who am I [[sim: 401, 401, ok]]");
        await Cluster.WaitForStateAsync(bad, "Failed", TimeSpan.FromSeconds(20));
        await Cluster.WaitForStateAsync(auth, "Failed", TimeSpan.FromSeconds(20));

        Assert.Single(await Cluster.AttemptsAsync(bad));
        var authAttempts = await Cluster.AttemptsAsync(auth);
        Assert.Equal(2, authAttempts.Count);
        Assert.Equal(1, await Cluster.CountAsync($"request_id = '{auth}' AND failure_kind = 'Permanent' AND reason LIKE '%HTTP 401%'"));
        Assert.Equal(2, await Cluster.ModelCallsAsync(auth));
    }

    [Fact]
    public async Task Should_wait_out_retry_after_before_the_next_attempt()
    {
        var id = NewId("r429");
        await Cluster.SubmitAsync(id, "Slow down [[sim: 429:2, ok]]");
        await Cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(20));

        var attempts = await Cluster.AttemptsAsync(id);
        Assert.Equal(2, attempts.Count);
        Assert.Equal(2000, attempts[0].RetryAfterMs);
        Assert.True(attempts[1].StartedAt - attempts[0].FinishedAt >= TimeSpan.FromSeconds(2),
            $"the second attempt started {(attempts[1].StartedAt - attempts[0].FinishedAt)?.TotalMilliseconds} ms after a Retry-After of 2 s");
    }

    [Fact]
    public async Task Should_fail_with_DeadlineExceeded_when_the_next_backoff_passes_the_deadline()
    {
        var id = NewId("rdl");
        await Cluster.SubmitAsync(id, "In a hurry [[sim: 503, ok]]", new { deadline = DateTimeOffset.UtcNow.AddMilliseconds(900) });
        await Cluster.WaitForStateAsync(id, "Failed", TimeSpan.FromSeconds(20));

        Assert.Equal(1, await Cluster.CountAsync($"request_id = '{id}' AND failure_kind = 'DeadlineExceeded'"));
        Assert.Single(await Cluster.AttemptsAsync(id));
        Assert.Equal(1, await Cluster.ModelCallsAsync(id));
    }

    [Fact]
    public async Task Should_cancel_a_scheduled_retry_clear_its_timer_and_call_the_model_no_more()
    {
        var id = NewId("rcan");
        await Cluster.SubmitAsync(id, "Never mind [[sim: 503, ok]]", new { retry = new { initialIntervalMs = 3000 } });
        await Cluster.WaitForStateAsync(id, "RetryScheduled", TimeSpan.FromSeconds(20));
        var dueAt = await ScalarAsync<DateTime>($"SELECT next_attempt_at FROM inference_requests WHERE request_id = '{id}'");

        using var cancel = await Cluster.Api.PostAsJsonAsync($"api/requests/{id}/cancel", new { reason = "test: no longer needed" });
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await Cluster.WaitForStateAsync(id, "Cancelled", TimeSpan.FromSeconds(20));
        // The row is the timer: with its due time and token gone, nothing can fire it.
        Assert.Equal(1, await Cluster.CountAsync($"request_id = '{id}' AND next_attempt_at IS NULL AND retry_token IS NULL AND attempt_timeout_at IS NULL"));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM qrtz_triggers WHERE trigger_group <> 'orchestrator'"));

        // Past the time the retry was due, nothing more reached the model.
        var wait = dueAt.ToUniversalTime() - DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        Assert.Equal(1, await Cluster.ModelCallsAsync(id));
        Assert.Equal("Cancelled", await Cluster.StateAsync(id));
        using var again = await Cluster.Api.PostAsJsonAsync($"api/requests/{id}/cancel", new { });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Should_show_a_request_that_outlived_its_timers_as_stuck()
    {
        // A RetryScheduled row without its token cannot be fired: exactly the kind of bug stuck detection is for.
        var id = NewId("stuck");
        await Cluster.Database.ExecuteAsync($"""
            INSERT INTO inference_requests (correlation_id, request_id, state, model, payload, payload_hash, attempt, created_at, updated_at, next_attempt_at, version)
            VALUES ('{Orchestrator.Submission.RequestIdentity.ToCorrelationId(id)}', '{id}', 'RetryScheduled', 'sim', jsonb_build_object(), repeat('0', 64), 1,
                    now() - interval '20 minutes', now() - interval '10 minutes', now() - interval '10 minutes', 1)
            """);

        using var stuck = JsonDocument.Parse(await Cluster.Api.GetStringAsync(new Uri("api/diagnostics/stuck", UriKind.Relative)));
        var item = Assert.Single(stuck.RootElement.GetProperty("items").EnumerateArray(), i => i.GetProperty("requestId").GetString() == id);
        Assert.StartsWith("retry due", item.GetProperty("why").GetString(), StringComparison.Ordinal);

        var scrape = await Eventually.Until(() => Cluster.Api.GetStringAsync(new Uri("metrics", UriKind.Relative)),
            text => text.Split('\n').Any(l => l.StartsWith("orchestrator_stuck_requests", StringComparison.Ordinal) && !l.TrimEnd().EndsWith(" 0", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), "the stuck gauge counts it");
        Assert.Contains("orchestrator_stuck_requests", scrape, StringComparison.Ordinal);

        await Cluster.Database.ExecuteAsync($"DELETE FROM inference_requests WHERE request_id = '{id}'");
    }

    async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(Cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
