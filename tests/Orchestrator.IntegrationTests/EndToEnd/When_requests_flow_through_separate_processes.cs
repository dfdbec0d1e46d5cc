using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Orchestrator.IntegrationTests.EndToEnd;

[Collection(RabbitMqCollection.Name)]
public sealed class When_requests_flow_through_separate_processes(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    [Fact]
    public async Task Should_succeed_200_requests_each_with_exactly_one_attempt()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(1, 200).Select(i => $"e2e-{run}-{i:D3}").ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, ct) =>
        {
            using var response = await app.Api.PostAsJsonAsync("api/requests", new
            {
                requestId = id,
                model = "sim",
                messages = new[] { new { role = "user", content = $"Hello from {id}" } },
            }, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        });

        var succeeded = await Eventually.Until(
            () => app.Database.ScalarAsync<long>($"SELECT COUNT(*) FROM inference_requests WHERE request_id LIKE 'e2e-{run}-%' AND state = 'Succeeded'"),
            n => n == 200, TimeSpan.FromSeconds(120), "200 requests Succeeded", () => app.Diagnostics);
        Assert.Equal(200, succeeded);

        var attemptRows = await app.Database.ScalarAsync<long>(
            $"SELECT COUNT(*) FROM inference_attempts a JOIN inference_requests r USING (correlation_id) WHERE r.request_id LIKE 'e2e-{run}-%'");
        var singleAttempt = await app.Database.ScalarAsync<long>(
            $"SELECT COUNT(*) FROM inference_requests r WHERE r.request_id LIKE 'e2e-{run}-%' AND (SELECT COUNT(*) FROM inference_attempts a WHERE a.correlation_id = r.correlation_id AND a.outcome = 'Succeeded') = 1");
        Assert.Equal(200, attemptRows);
        Assert.Equal(200, singleAttempt);

        // The API's view of one of them: the shape operators and clients rely on.
        using var doc = JsonDocument.Parse(await app.Api.GetStringAsync(new Uri($"api/requests/{ids[0]}", UriKind.Relative)));
        var root = doc.RootElement;
        Assert.Equal("Succeeded", root.GetProperty("state").GetString());
        Assert.StartsWith("Simulated answer", root.GetProperty("result").GetProperty("output").GetString(), StringComparison.Ordinal);
        var attempt = Assert.Single(root.GetProperty("attempts").EnumerateArray());
        Assert.Equal("worker-1", attempt.GetProperty("workerId").GetString());
        Assert.EndsWith("Z", attempt.GetProperty("startedAt").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, attempt.GetProperty("httpStatus").GetInt32());
        // The simulated model's confident tokens have probabilities of 0.9 to 0.99; the score is their geometric mean.
        Assert.InRange(root.GetProperty("confidence").GetDouble(), 0.9, 0.99);

        using var stuck = JsonDocument.Parse(await app.Api.GetStringAsync(new Uri("api/diagnostics/stuck", UriKind.Relative)));
        Assert.Equal(0, stuck.RootElement.GetProperty("count").GetInt32());

        // The worker process serves its own metrics: its model calls, by endpoint.
        using var worker = new HttpClient { BaseAddress = app.Cluster.WorkerUrl("worker-1") };
        var metrics = await worker.GetStringAsync(new Uri("metrics", UriKind.Relative));
        Assert.Contains("orchestrator_upstream_latency_milliseconds_count{", metrics, StringComparison.Ordinal);
        Assert.Contains("orchestrator_attempts_total{", metrics, StringComparison.Ordinal);
        using var ready = JsonDocument.Parse(await worker.GetStringAsync(new Uri("health/ready", UriKind.Relative)));
        Assert.Equal("Healthy", ready.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Should_fail_a_request_the_model_rejects_with_the_reason_recorded()
    {
        var id = $"e2e-400-{Guid.NewGuid():N}"[..20];
        using var response = await app.Api.PostAsJsonAsync("api/requests", new
        {
            requestId = id,
            model = "sim",
            messages = new[] { new { role = "user", content = "Please fail [[sim: 400]]" } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var state = await Eventually.Until(async () =>
        {
            using var get = await app.Api.GetAsync(new Uri($"api/requests/{id}", UriKind.Relative));
            return get.IsSuccessStatusCode ? await get.Content.ReadAsStringAsync() : "";
        }, body => body.Contains("\"state\":\"Failed\"", StringComparison.Ordinal), TimeSpan.FromSeconds(60), $"{id} Failed", () => app.Diagnostics);

        using var doc = JsonDocument.Parse(state);
        var root = doc.RootElement;
        Assert.Equal("Permanent", root.GetProperty("failureKind").GetString());
        Assert.Contains("HTTP 400", root.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var attempt = Assert.Single(root.GetProperty("attempts").EnumerateArray());
        Assert.Equal(400, attempt.GetProperty("httpStatus").GetInt32());
        Assert.Equal("Failed", attempt.GetProperty("outcome").GetString());
    }
}
