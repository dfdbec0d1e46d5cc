using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;
using Orchestrator.SimulatedModel;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// Fleet-wide limits on the production shape: one orchestrator and two worker processes on PostgreSQL and RabbitMQ,
/// calling a simulated model the test runs itself, so every call is timed where it lands. The model is named
/// <c>fleet</c> so that no worker of another test's cluster can serve it.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_the_fleet_shares_an_endpoint
{
    const string Model = "fleet";

    static async Task<(ProductionCluster Cluster, SimulatedModelServer Model)> StartAsync(Dictionary<string, string> endpointSettings)
    {
        var model = await SimulatedModelServer.StartAsync(new SimulatedModelOptions { LatencyMs = 50 });
        var workers = new Dictionary<string, string>
        {
            ["Workers__HeartbeatInterval"] = "00:00:01",
            ["Workers__CircuitBreaker__Enabled"] = "true",
            [$"Workers__Models__{Model}__Endpoints__0__Name"] = "shared",
            [$"Workers__Models__{Model}__Endpoints__0__BaseUrl"] = model.BaseAddress.ToString(),
        };
        foreach (var (key, value) in endpointSettings)
            workers[$"Workers__Models__{Model}__Endpoints__0__{key}"] = value;
        var cluster = await ProductionCluster.StartAsync(workers: 2,
            orchestratorSettings: new Dictionary<string, string> { ["Orchestrator__Validation__Models__0"] = "sim", ["Orchestrator__Validation__Models__1"] = Model },
            workerSettings: workers, modelUrl: model.BaseAddress);
        // Both workers have told the orchestrator about the endpoint: the fleet is assembled.
        await Eventually.Until(() => cluster.Api.GetStringAsync(new Uri("api/fleet", UriKind.Relative)),
            body => WorkersServing(body) == 2, TimeSpan.FromSeconds(30), $"two workers reporting model {Model}", () => cluster.Diagnostics);
        return (cluster, model);
    }

    static int WorkersServing(string fleetJson)
    {
        using var doc = JsonDocument.Parse(fleetJson);
        return doc.RootElement.GetProperty("endpoints").EnumerateArray()
            .Where(e => e.GetProperty("model").GetString() == Model)
            .SelectMany(e => e.GetProperty("breakers").EnumerateArray().Select(b => b.GetProperty("workerId").GetString()))
            .Distinct().Count();
    }

    static Task Submit(ProductionCluster cluster, string id, string script = "") =>
        cluster.SubmitAsync(id, $"Hello {id} {script}", new { model = Model });

    static async Task<IReadOnlyList<string?>> WorkersThatServed(ProductionCluster cluster, IEnumerable<string> ids)
    {
        var workers = new HashSet<string?>();
        foreach (var id in ids)
        {
            foreach (var attempt in await cluster.AttemptsAsync(id))
            {
                if (attempt.Outcome == "Succeeded")
                    workers.Add(attempt.WorkerId);
            }
        }
        return workers.ToList();
    }

    [Fact]
    public async Task Should_pause_every_worker_for_as_long_as_a_429_Retry_After_asks()
    {
        var (cluster, model) = await StartAsync([]);
        await using var clusterLifetime = cluster;
        await using var modelLifetime = model;

        // A steady stream of requests, one every 200 ms, and among them one whose first call is answered 429 with
        // Retry-After 6 s.
        var stream = Enumerable.Range(0, 30).Select(i => $"flow-{i:00}-{Guid.NewGuid():N}"[..16]).ToList();
        var trigger = $"flow-429-{Guid.NewGuid():N}"[..16];
        for (var i = 0; i < 5; i++)
        {
            await Submit(cluster, stream[i]);
            await Task.Delay(200);
        }
        await Submit(cluster, trigger, "[[sim: 429:6, ok]]");
        var limitedAt = (await Eventually.Until(() => Task.FromResult(model.Stats.RecentCalls().FirstOrDefault(c => c.RequestId == trigger)),
            c => c.RequestId is not null, TimeSpan.FromSeconds(30), "the 429 call", () => cluster.Diagnostics)).At;

        // While the endpoint cools down, a request submitted now is held: the row and the API say until when and why.
        string? heldId = null;
        for (var i = 5; i < stream.Count; i++)
        {
            await Submit(cluster, stream[i]);
            if (heldId is null && DateTimeOffset.UtcNow - limitedAt > TimeSpan.FromSeconds(2))
            {
                heldId = stream[i];
                var view = await Eventually.Until(() => cluster.Api.GetStringAsync(new Uri($"api/requests/{heldId}", UriKind.Relative)),
                    body => body.Contains("\"heldUntil\":\"", StringComparison.Ordinal) || body.Contains("\"state\":\"Succeeded\"", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(10), $"{heldId} held");
                using var doc = JsonDocument.Parse(view);
                Assert.Equal("RetryScheduled", doc.RootElement.GetProperty("state").GetString());
                Assert.Contains("cooling down", doc.RootElement.GetProperty("heldReason").GetString(), StringComparison.Ordinal);
                Assert.Contains("Retry-After 6 s", doc.RootElement.GetProperty("heldReason").GetString(), StringComparison.Ordinal);
                var fleet = await cluster.Api.GetStringAsync(new Uri("api/fleet", UriKind.Relative));
                Assert.Contains("\"holds\":[{\"model\":\"fleet\"", fleet, StringComparison.Ordinal);
            }
            await Task.Delay(200);
        }
        Assert.NotNull(heldId);

        foreach (var id in stream.Append(trigger))
            await cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(60));

        // Measured at the model: from two seconds after the 429 (the news crossing the broker on a busy box; invokes
        // a worker took before it heard may still call) until Retry-After ends, no call reached it from either
        // worker; afterwards calls resumed.
        var calls = model.Stats.RecentCalls().Where(c => c.RequestId is not null && c.RequestId.StartsWith("flow-", StringComparison.Ordinal)).ToList();
        var during = calls.Where(c => c.At > limitedAt.AddSeconds(2) && c.At < limitedAt.AddSeconds(5.9)).ToList();
        Assert.True(during.Count == 0,
            $"{during.Count} calls reached the endpoint while it cooled down: {string.Join(", ", during.Select(c => $"{c.RequestId} at +{(c.At - limitedAt).TotalMilliseconds:0} ms"))}");
        Assert.Contains(calls, c => c.At >= limitedAt.AddSeconds(5.9));
        Assert.Equal(2, (await WorkersThatServed(cluster, stream)).Count);
    }

    [Fact]
    public async Task Should_keep_the_fleet_within_the_endpoints_rate_limit_measured_at_the_model()
    {
        // 120 a minute, counted over 5 s windows: at most 10 calls in any 5 s, shared by two workers.
        var (cluster, model) = await StartAsync(new() { ["RequestsPerMinute"] = "120", ["RateLimitWindow"] = "00:00:05" });
        await using var clusterLifetime = cluster;
        await using var modelLifetime = model;

        var ids = Enumerable.Range(0, 30).Select(i => $"rate-{i:00}-{Guid.NewGuid():N}"[..16]).ToList();
        await Task.WhenAll(ids.Select(id => Submit(cluster, id)));
        foreach (var id in ids)
            await cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(90));

        var arrivals = model.Stats.RecentCalls().Where(c => c.RequestId is not null && ids.Contains(c.RequestId)).Select(c => c.At).Order().ToList();
        Assert.Equal(30, arrivals.Count); // one call each: nothing was refused or retried
        for (var i = 0; i < arrivals.Count; i++)
        {
            var inWindow = arrivals.Count(t => t >= arrivals[i] && t < arrivals[i] + TimeSpan.FromSeconds(5));
            Assert.True(inWindow <= 10, $"{inWindow} calls within 5 s from +{(arrivals[i] - arrivals[0]).TotalSeconds:0.0} s; the fleet's limit is 10 " +
                                        $"(arrivals at +s: {string.Join(" ", arrivals.Select(t => (t - arrivals[0]).TotalSeconds.ToString("0.00")))})\n{cluster.Diagnostics}");
        }
        // 30 calls at 10 per 5 s need at least two further windows after the first.
        Assert.True(arrivals[^1] - arrivals[0] >= TimeSpan.FromSeconds(9.5), $"30 calls took only {(arrivals[^1] - arrivals[0]).TotalSeconds:0.0} s");
        Assert.Equal(2, (await WorkersThatServed(cluster, ids)).Count);
    }
}
