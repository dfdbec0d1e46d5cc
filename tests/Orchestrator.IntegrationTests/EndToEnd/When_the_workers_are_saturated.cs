using System.Text.Json;
using Npgsql;
using Orchestrator.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// Priorities on the production shape: one worker that can make two model calls at once, a model that takes 300 ms
/// per answer, and more requests than that worker can take. The backlog waits in RabbitMQ's priority queue, so the
/// urgent requests overtake the ones submitted before them.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_the_workers_are_saturated(ITestOutputHelper output)
{
    const int PerPriority = 30;

    [Fact]
    public async Task Should_finish_priority_5_requests_in_under_half_the_median_time_of_priority_1_submitted_before_them()
    {
        await using var cluster = await ProductionCluster.StartAsync(workerSettings: new Dictionary<string, string>
        {
            // Prefetch follows the concurrency limit: two invokes in the worker, the rest ordered by the broker.
            ["Workers__ConcurrencyLimit"] = "2",
        });
        var run = Guid.NewGuid().ToString("N")[..6];
        string Id(int priority, int i) => $"prio-{run}-p{priority}-{i:D2}";

        // Warm up first (JIT, connections, the API's first requests): a cold start would delay both priorities alike
        // and make the measured difference a matter of chance.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => cluster.SubmitAsync($"prio-{run}-warm-{i}", $"Warm up prio-{run}-warm-{i}")));
        await Eventually.Until(() => cluster.CountAsync($"request_id LIKE 'prio-{run}-warm-%' AND state = 'Succeeded'"), n => n == 4,
            TimeSpan.FromSeconds(60), "the warm-up requests Succeeded", () => cluster.Diagnostics);

        // The hard order: every priority-1 request is submitted first, then every priority-5 one.
        using var gate = new SemaphoreSlim(8);
        async Task Submit(int priority, int i)
        {
            await gate.WaitAsync();
            try
            {
                await cluster.SubmitAsync(Id(priority, i), $"Request {Id(priority, i)} [[sim: slow:300]]", new { priority });
            }
            finally
            {
                gate.Release();
            }
        }
        await Task.WhenAll(Enumerable.Range(0, PerPriority).Select(i => Submit(1, i)));
        await Task.WhenAll(Enumerable.Range(0, PerPriority).Select(i => Submit(5, i)));

        // 60 calls of 300 ms, two at a time: about 9 s of model time.
        await Eventually.Until(() => cluster.CountAsync($"request_id LIKE 'prio-{run}-p%' AND state = 'Succeeded'"), n => n == 2 * PerPriority,
            TimeSpan.FromSeconds(90), $"all {2 * PerPriority} requests Succeeded", () => cluster.Diagnostics);

        var rows = new List<(string Id, int Priority, double Ms, double CreatedMs, double CompletedMs)>();
        await using (var connection = new NpgsqlConnection(cluster.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT request_id, priority, EXTRACT(EPOCH FROM completed_at - created_at) * 1000, EXTRACT(EPOCH FROM created_at - MIN(created_at) OVER ()) * 1000, " +
                "EXTRACT(EPOCH FROM completed_at - MIN(created_at) OVER ()) * 1000 FROM inference_requests WHERE request_id LIKE @prefix", connection);
            command.Parameters.AddWithValue("prefix", $"prio-{run}-p%");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                rows.Add((reader.GetString(0), reader.GetInt32(1), (double)reader.GetDecimal(2), (double)reader.GetDecimal(3), (double)reader.GetDecimal(4)));
        }
        Assert.Equal(2 * PerPriority, rows.Count);
        // The row keeps the priority each request was submitted with.
        Assert.All(rows, r => Assert.Equal(r.Id.Contains("-p5-", StringComparison.Ordinal) ? 5 : 1, r.Priority));

        var p1 = Median(rows.Where(r => r.Priority == 1).Select(r => r.Ms));
        var p5 = Median(rows.Where(r => r.Priority == 5).Select(r => r.Ms));
        var timeline = string.Join("\n", rows.OrderBy(r => r.CompletedMs).Select(r => $"{r.Id} p{r.Priority} created +{r.CreatedMs:0} ms, completed +{r.CompletedMs:0} ms ({r.Ms:0} ms)"));
        output.WriteLine($"median completion: priority 1 {p1:0} ms, priority 5 {p5:0} ms ({PerPriority} each, concurrency 2, 300 ms per call)\n{timeline}");
        Assert.True(p5 < p1 / 2, $"priority 5 median {p5:0} ms is not under half the priority 1 median {p1:0} ms\n{timeline}");

        // The API shows it too, and the list filters on it.
        using var view = JsonDocument.Parse(await cluster.Api.GetStringAsync(new Uri($"api/requests/{Id(5, 0)}", UriKind.Relative)));
        Assert.Equal(5, view.RootElement.GetProperty("priority").GetInt32());
        using var urgent = JsonDocument.Parse(await cluster.Api.GetStringAsync(new Uri($"api/requests?idPrefix=prio-{run}-&priority=5&limit=500", UriKind.Relative)));
        var listed = urgent.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(PerPriority, listed.Count);
        Assert.All(listed, i => Assert.Equal(5, i.GetProperty("priority").GetInt32()));
        using var outOfRange = await cluster.Api.GetAsync(new Uri("api/requests?priority=9", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, outOfRange.StatusCode);
        Assert.Contains("priority: must be between 1 and 5 (got 9)", await outOfRange.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // One call per request: no request was dispatched twice.
        Assert.Equal(1, await cluster.ModelCallsAsync(Id(1, 0)));
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
