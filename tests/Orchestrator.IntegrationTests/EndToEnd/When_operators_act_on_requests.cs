using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>Retry, pause, resume and the bulk actions through the API, on the production shape.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_operators_act_on_requests(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    ProductionCluster Cluster => app.Cluster;

    [Fact]
    public async Task Should_retry_a_failed_request_as_a_second_run()
    {
        await Cluster.SubmitAsync("act-retry-1", "act-retry-1 [[sim: 400, ok]]");
        await Cluster.WaitForStateAsync("act-retry-1", "Failed", Wait);

        using var retried = await app.Api.PostAsync(new Uri("api/requests/act-retry-1/retry", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        await Cluster.WaitForStateAsync("act-retry-1", "Succeeded", Wait);

        using var view = JsonDocument.Parse(await app.Api.GetStringAsync(new Uri("api/requests/act-retry-1", UriKind.Relative)));
        Assert.Equal(2, view.RootElement.GetProperty("run").GetInt32());
        Assert.Equal(2, view.RootElement.GetProperty("attempts").GetArrayLength());
        Assert.Equal(2, await Cluster.ModelCallsAsync("act-retry-1"));
    }

    [Fact]
    public async Task Should_pause_a_waiting_retry_and_run_it_on_resume()
    {
        await Cluster.SubmitAsync("act-pause-1", "act-pause-1 [[sim: 503, ok]]", new { retry = new { initialIntervalMs = 600_000, maximumIntervalMs = 600_000 } });
        await Cluster.WaitForStateAsync("act-pause-1", "RetryScheduled", Wait);

        using (var paused = await app.Api.PostAsJsonAsync("api/requests/act-pause-1/pause", new { reason = "incident 7" }))
            Assert.Equal(HttpStatusCode.Accepted, paused.StatusCode);
        await Cluster.WaitForStateAsync("act-pause-1", "Paused", Wait);
        Assert.Equal(1, await Cluster.CountAsync("request_id = 'act-pause-1' AND paused_at IS NOT NULL AND next_attempt_at IS NULL AND retry_token IS NULL"));

        // A paused request cannot be paused again or retried; it can be resumed.
        using (var again = await app.Api.PostAsync(new Uri("api/requests/act-pause-1/pause", UriKind.Relative), null))
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using (var resumed = await app.Api.PostAsync(new Uri("api/requests/act-pause-1/resume", UriKind.Relative), null))
            Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        await Cluster.WaitForStateAsync("act-pause-1", "Succeeded", Wait);
        Assert.Equal(2, await Cluster.ModelCallsAsync("act-pause-1"));
    }

    [Fact]
    public async Task Should_refuse_actions_the_state_does_not_allow_with_problem_details()
    {
        await Cluster.SubmitAsync("act-refuse-1", "act-refuse-1 [[sim: ok]]");
        await Cluster.WaitForStateAsync("act-refuse-1", "Succeeded", Wait);
        foreach (var action in new[] { "retry", "pause", "resume", "cancel" })
        {
            using var response = await app.Api.PostAsync(new Uri($"api/requests/act-refuse-1/{action}", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Succeeded", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var missing = await app.Api.PostAsync(new Uri("api/requests/act-no-such/retry", UriKind.Relative), null))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Should_count_finished_requests_per_minute_for_the_dashboard()
    {
        await Cluster.SubmitAsync("act-stats-1", "act-stats-1 [[sim: ok]]");
        await Cluster.SubmitAsync("act-stats-2", "act-stats-2 [[sim: 503, ok]]", new { retry = new { initialIntervalMs = 120_000, maximumIntervalMs = 120_000 } });
        await Cluster.WaitForStateAsync("act-stats-1", "Succeeded", Wait);
        await Cluster.WaitForStateAsync("act-stats-2", "RetryScheduled", Wait);
        using (var cancel = await app.Api.PostAsync(new Uri("api/requests/act-stats-2/cancel", UriKind.Relative), null))
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await Cluster.WaitForStateAsync("act-stats-2", "Cancelled", Wait);

        // PostgreSQL's minute arithmetic (the embedded dashboard test covers SQLite's).
        using var doc = JsonDocument.Parse(await app.Api.GetStringAsync(new Uri("api/stats/throughput?minutes=10", UriKind.Relative)));
        var minutes = doc.RootElement.GetProperty("minutes").EnumerateArray().ToList();
        Assert.Equal(10, minutes.Count);
        var succeeded = minutes.Sum(m => m.GetProperty("succeeded").GetInt32());
        var cancelled = minutes.Sum(m => m.GetProperty("cancelled").GetInt32());
        var expected = await Cluster.CountAsync("completed_at >= now() - interval '9 minutes' AND state = 'Succeeded'");
        var expectedCancelled = await Cluster.CountAsync("completed_at >= now() - interval '9 minutes' AND state = 'Cancelled'");
        Assert.True(succeeded >= 1 && cancelled >= 1, doc.RootElement.GetRawText());
        Assert.True(succeeded >= expected - 1 && succeeded <= expected + 1, $"{succeeded} succeeded per the API, {expected} in the table");
        Assert.True(cancelled >= expectedCancelled - 1 && cancelled <= expectedCancelled + 1, $"{cancelled} cancelled per the API, {expectedCancelled} in the table");
        using var bad = await app.Api.GetAsync(new Uri("api/stats/throughput?minutes=0", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Should_retry_exactly_the_requests_a_bulk_filter_matches()
    {
        // bulk-a: 6 failed + 2 succeeded; bulk-b: 3 failed that share everything but the prefix.
        var failedA = Enumerable.Range(1, 6).Select(i => $"act-bulk-a-{i}").ToList();
        var okA = Enumerable.Range(1, 2).Select(i => $"act-bulk-a-ok-{i}").ToList();
        var failedB = Enumerable.Range(1, 3).Select(i => $"act-bulk-b-{i}").ToList();
        await Task.WhenAll(failedA.Concat(failedB).Select(id => Cluster.SubmitAsync(id, $"{id} [[sim: 400, ok]]"))
            .Concat(okA.Select(id => Cluster.SubmitAsync(id, $"{id} [[sim: ok]]"))));
        foreach (var id in failedA.Concat(failedB))
            await Cluster.WaitForStateAsync(id, "Failed", Wait);
        foreach (var id in okA)
            await Cluster.WaitForStateAsync(id, "Succeeded", Wait);

        var dry = await BulkAsync("retry", new { filter = new { idPrefix = "act-bulk-a-" }, dryRun = true });
        Assert.Equal(HttpStatusCode.OK, dry.Status);
        Assert.Equal((8, 6, 2), (dry.Matched, dry.Accepted, dry.Skipped));
        Assert.Equal(6, await Cluster.CountAsync("request_id LIKE 'act-bulk-%' AND state = 'Failed' AND request_id LIKE 'act-bulk-a-%'"));

        var run = await BulkAsync("retry", new { filter = new { idPrefix = "act-bulk-a-" }, reason = "model fixed" });
        Assert.Equal(HttpStatusCode.Accepted, run.Status);
        Assert.Equal((8, 6, 2), (run.Matched, run.Accepted, run.Skipped));
        foreach (var id in failedA)
            await Cluster.WaitForStateAsync(id, "Succeeded", Wait);

        Assert.Equal(6, await Cluster.CountAsync("request_id LIKE 'act-bulk-a-%' AND run = 2 AND state = 'Succeeded'"));
        Assert.Equal(2, await Cluster.CountAsync("request_id LIKE 'act-bulk-a-ok-%' AND run = 1 AND attempt = 1"));
        Assert.Equal(3, await Cluster.CountAsync("request_id LIKE 'act-bulk-b-%' AND run = 1 AND state = 'Failed'"));
        foreach (var id in failedB.Concat(okA))
            Assert.Equal(1, await Cluster.ModelCallsAsync(id));
    }

    [Fact]
    public async Task Should_cancel_by_filter_and_refuse_a_filter_that_names_nothing()
    {
        var ids = Enumerable.Range(1, 4).Select(i => $"act-bulk-c-{i}").ToList();
        await Task.WhenAll(ids.Select(id => Cluster.SubmitAsync(id, $"{id} [[sim: 503, ok]]", new { retry = new { initialIntervalMs = 600_000, maximumIntervalMs = 600_000 } })));
        foreach (var id in ids)
            await Cluster.WaitForStateAsync(id, "RetryScheduled", Wait);

        var cancel = await BulkAsync("cancel", new { filter = new { idPrefix = "act-bulk-c-", state = "RetryScheduled" } });
        Assert.Equal((4, 4, 0), (cancel.Matched, cancel.Accepted, cancel.Skipped));
        foreach (var id in ids)
            await Cluster.WaitForStateAsync(id, "Cancelled", Wait);
        Assert.Equal(0, await Cluster.CountAsync("request_id LIKE 'act-bulk-c-%' AND (next_attempt_at IS NOT NULL OR retry_token IS NOT NULL)"));

        using (var everything = await app.Api.PostAsJsonAsync("api/requests/bulk/cancel", new { filter = new { }, dryRun = true }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, everything.StatusCode);
            Assert.Contains("at least one filter field", await everything.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var badField = await app.Api.PostAsJsonAsync("api/requests/bulk/cancel", new { filter = new { status = "Failed" } }))
            Assert.Equal(HttpStatusCode.BadRequest, badField.StatusCode);
        using (var unknown = await app.Api.PostAsJsonAsync("api/requests/bulk/explode", new { filter = new { state = "Failed" } }))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    async Task<(HttpStatusCode Status, int Matched, int Accepted, int Skipped)> BulkAsync(string action, object body)
    {
        using var response = await app.Api.PostAsJsonAsync($"api/requests/bulk/{action}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"bulk {action}: {(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        return (response.StatusCode, root.GetProperty("matched").GetInt32(), root.GetProperty("accepted").GetInt32(), root.GetProperty("skipped").GetInt32());
    }
}
