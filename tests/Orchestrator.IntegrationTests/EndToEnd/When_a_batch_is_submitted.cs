using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>An OpenAI Batch API file in, its results file out, on the production shape.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_a_batch_is_submitted(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    ProductionCluster Cluster => app.Cluster;

    static string Line(string customId, string text, string extra = "") =>
        $$$"""{"custom_id": "{{{customId}}}", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "sim", "messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "{{{text}}}"}], "max_tokens": 1000{{{extra}}}}}""";

    async Task<HttpResponseMessage> SubmitAsync(IEnumerable<string> lines, string? batchId = null, string query = "", string contentType = "application/jsonl")
    {
        var content = new StringContent(string.Join("\n", lines) + "\n", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/batches{query}") { Content = content };
        if (batchId is not null)
            request.Headers.Add("Idempotency-Key", batchId);
        return await Cluster.Api.SendAsync(request);
    }

    async Task<JsonElement> BatchAsync(string batchId) =>
        JsonDocument.Parse(await Cluster.Api.GetStringAsync(new Uri($"api/batches/{batchId}", UriKind.Relative))).RootElement.Clone();

    Task<JsonElement> WaitForBatchAsync(string batchId, string state) =>
        Eventually.Until(() => BatchAsync(batchId), b => b.GetProperty("state").GetString() == state, Wait, $"batch {batchId} {state}", () => Cluster.Diagnostics);

    async Task<long> BatchRowsAsync(string batchId)
    {
        await using var connection = new NpgsqlConnection(app.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT (SELECT COUNT(*) FROM batches WHERE id = @id) + (SELECT COUNT(*) FROM inference_requests WHERE batch_id = @id)", connection);
        command.Parameters.AddWithValue("id", batchId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Should_run_every_line_and_stream_its_results_in_input_order()
    {
        var batchId = $"bt-run-{Guid.NewGuid():N}"[..20];
        // Twelve lines: every third fails for good (400), the rest succeed, some after a transient 503.
        var lines = Enumerable.Range(1, 12).Select(i => Line($"line-{i:00}", i % 3 == 0 ? $"line {i} [[sim: 400]]" : i % 3 == 1 ? $"line {i} [[sim: 503, ok]]" : $"line {i}")).ToList();
        // custom_ids in an order that is neither sorted nor their line order's reverse.
        (lines[0], lines[5]) = (lines[5], lines[0]);

        using var submitted = await SubmitAsync(lines, batchId, "?completionWindow=24h&priority=4", "application/x-ndjson");
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        using (var accepted = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()))
        {
            Assert.Equal(batchId, accepted.RootElement.GetProperty("batchId").GetString());
            Assert.Equal(12, accepted.RootElement.GetProperty("requests").GetInt32());
        }

        var done = await WaitForBatchAsync(batchId, "Completed");
        Assert.Equal(12, done.GetProperty("total").GetInt32());
        Assert.Equal((8, 4, 0), (done.GetProperty("counts").GetProperty("Succeeded").GetInt32(), done.GetProperty("counts").GetProperty("Failed").GetInt32(),
            done.GetProperty("counts").GetProperty("Pending").GetInt32()));
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("completedAt").ValueKind);

        // Each line is a request of ours, with the batch's priority and window, visible through the requests API.
        Assert.Equal(12, await Cluster.CountAsync($"batch_id = '{batchId}' AND priority = 4 AND deadline > created_at + interval '23 hours'"));
        using (var one = JsonDocument.Parse(await Cluster.Api.GetStringAsync(new Uri($"api/requests/{batchId}:line-06", UriKind.Relative))))
        {
            Assert.Equal(batchId, one.RootElement.GetProperty("batchId").GetString());
            Assert.Equal("line-06", one.RootElement.GetProperty("customId").GetString());
        }
        using (var listed = JsonDocument.Parse(await Cluster.Api.GetStringAsync(new Uri($"api/requests?batchId={batchId}&limit=500", UriKind.Relative))))
            Assert.Equal(12, listed.RootElement.GetProperty("items").GetArrayLength());

        using var results = await Cluster.Api.GetAsync(new Uri($"api/batches/{batchId}/results", UriKind.Relative));
        Assert.Equal("application/jsonl", results.Content.Headers.ContentType?.MediaType);
        var output = (await results.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var expectedOrder = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(expectedOrder, output.Select(o => o.GetProperty("custom_id").GetString()).ToList());
        foreach (var line in output)
        {
            var n = int.Parse(line.GetProperty("custom_id").GetString()!["line-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"{batchId}:line-{n:00}", line.GetProperty("id").GetString());
            if (n % 3 == 0)
            {
                Assert.Equal(JsonValueKind.Null, line.GetProperty("response").ValueKind);
                Assert.Equal("Permanent", line.GetProperty("error").GetProperty("code").GetString());
            }
            else
            {
                Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
                Assert.Equal(200, line.GetProperty("response").GetProperty("status_code").GetInt32());
                var body = line.GetProperty("response").GetProperty("body");
                Assert.Equal("chat.completion", body.GetProperty("object").GetString());
                Assert.Contains($"line {n}", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
            }
        }

        using var list = JsonDocument.Parse(await Cluster.Api.GetStringAsync(new Uri("api/batches?limit=500", UriKind.Relative)));
        Assert.Contains(list.RootElement.GetProperty("items").EnumerateArray(), b => b.GetProperty("batchId").GetString() == batchId);
    }

    [Fact]
    public async Task Should_refuse_the_whole_file_for_one_bad_line_and_create_nothing()
    {
        var batchId = $"bt-bad-{Guid.NewGuid():N}"[..20];
        var lines = new List<string>
        {
            Line("ok-1", "fine"),
            Line("ok-2", "fine", ", \"n\": 2"),
            "{not json",
            Line("ok-1", "a second ok-1"),
            Line("ok-5", "fine").Replace("/v1/chat/completions", "/v1/embeddings", StringComparison.Ordinal),
            Line("ok-6", "fine", ", \"stream\": true"),
        };

        using var refused = await SubmitAsync(lines, batchId);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("customId").GetString(), e.GetProperty("error").GetString()!)).ToList();
        Assert.Equal([2, 3, 4, 5, 6], errors.Select(e => e.Item1));
        Assert.Equal(["ok-2", null, "ok-1", "ok-5", "ok-6"], errors.Select(e => e.Item2));
        Assert.Contains("body.n", errors[0].Item3, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", errors[1].Item3, StringComparison.Ordinal);
        Assert.Contains("used by an earlier line", errors[2].Item3, StringComparison.Ordinal);
        Assert.Contains("unsupported url", errors[3].Item3, StringComparison.Ordinal);
        Assert.Contains("body.stream", errors[4].Item3, StringComparison.Ordinal);

        Assert.Equal(0, await BatchRowsAsync(batchId));
        using var missing = await Cluster.Api.GetAsync(new Uri($"api/batches/{batchId}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var wrongType = await SubmitAsync([Line("a", "x")], batchId, contentType: "text/csv");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        using var badWindow = await SubmitAsync([Line("a", "x")], batchId, "?completionWindow=soon");
        Assert.Equal(HttpStatusCode.BadRequest, badWindow.StatusCode);
        Assert.Equal(0, await BatchRowsAsync(batchId));
    }

    [Fact]
    public async Task Should_answer_a_second_submission_of_the_same_id_with_the_same_batch()
    {
        var batchId = $"bt-again-{Guid.NewGuid():N}"[..20];
        var lines = Enumerable.Range(1, 5).Select(i => Line($"r{i}", $"again {i}")).ToList();

        using var first = await SubmitAsync(lines, batchId);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SubmitAsync(lines, batchId)));
        foreach (var again in concurrent)
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
            using var body = JsonDocument.Parse(await again.Content.ReadAsStringAsync());
            Assert.Equal((batchId, 5), (body.RootElement.GetProperty("batchId").GetString(), body.RootElement.GetProperty("requests").GetInt32()));
            again.Dispose();
        }

        await WaitForBatchAsync(batchId, "Completed");
        Assert.Equal(6, await BatchRowsAsync(batchId));
        Assert.Equal(5, await Cluster.CountAsync($"batch_id = '{batchId}' AND attempt = 1 AND state = 'Succeeded'"));
        foreach (var i in Enumerable.Range(1, 5))
            Assert.Equal(1, await Cluster.ModelCallsAsync($"{batchId}:r{i}"));
    }

    [Fact]
    public async Task Should_cancel_every_unfinished_request_and_read_cancelled()
    {
        var batchId = $"bt-cancel-{Guid.NewGuid():N}"[..20];
        const string slow = ", \"retry\": {\"initialIntervalMs\": 600000, \"maximumIntervalMs\": 600000}";
        var lines = new[] { Line("done", "finishes"), Line("wait-1", "waits [[sim: 503, ok]]", slow), Line("wait-2", "waits [[sim: 503, ok]]", slow) };

        using (var submitted = await SubmitAsync(lines, batchId))
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        await Cluster.WaitForStateAsync($"{batchId}:done", "Succeeded", Wait);
        await Cluster.WaitForStateAsync($"{batchId}:wait-1", "RetryScheduled", Wait);
        await Cluster.WaitForStateAsync($"{batchId}:wait-2", "RetryScheduled", Wait);
        Assert.Equal("InProgress", (await BatchAsync(batchId)).GetProperty("state").GetString());

        using var cancelled = await Cluster.Api.PostAsync(new Uri($"api/batches/{batchId}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        using (var result = JsonDocument.Parse(await cancelled.Content.ReadAsStringAsync()))
            Assert.Equal((3, 2, 1), (result.RootElement.GetProperty("matched").GetInt32(), result.RootElement.GetProperty("accepted").GetInt32(), result.RootElement.GetProperty("skipped").GetInt32()));

        var done = await WaitForBatchAsync(batchId, "Cancelled");
        Assert.Equal((1, 2), (done.GetProperty("counts").GetProperty("Succeeded").GetInt32(), done.GetProperty("counts").GetProperty("Cancelled").GetInt32()));
        var results = (await Cluster.Api.GetStringAsync(new Uri($"api/batches/{batchId}/results", UriKind.Relative))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, results.Length);
        Assert.Contains("\"code\":\"Cancelled\"", results[1], StringComparison.Ordinal);

        using var missing = await Cluster.Api.PostAsync(new Uri("api/batches/bt-no-such/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Should_retry_the_failed_requests_and_publish_each_completion_once()
    {
        var batchId = $"bt-retry-{Guid.NewGuid():N}"[..20];
        await using var completions = await OutcomeListener.StartAsync(batchId, "Orchestrator.Contracts:BatchCompleted");
        var lines = new[] { Line("ok", "fine"), Line("flaky-1", "[[sim: 400, ok]]"), Line("flaky-2", "[[sim: 400, ok]]") };

        using (var submitted = await SubmitAsync(lines, batchId))
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var first = await WaitForBatchAsync(batchId, "Completed");
        Assert.Equal(2, first.GetProperty("counts").GetProperty("Failed").GetInt32());
        await Eventually.True(() => !completions.MessageIds.IsEmpty, Wait, "the first BatchCompleted");

        // A crash between the publish and its record: the sweep publishes the same completion again, same MessageId.
        await ExecuteAsync($"UPDATE batches SET published_at = NULL WHERE id = '{batchId}'");
        await Eventually.True(() => completions.MessageIds.Count >= 2, Wait, "the completion re-published");
        Assert.Single(completions.MessageIds.Distinct());

        using var retried = await Cluster.Api.PostAsync(new Uri($"api/batches/{batchId}/retry", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        using (var result = JsonDocument.Parse(await retried.Content.ReadAsStringAsync()))
            Assert.Equal(2, result.RootElement.GetProperty("accepted").GetInt32());
        await Cluster.WaitForStateAsync($"{batchId}:flaky-1", "Succeeded", Wait);
        await Cluster.WaitForStateAsync($"{batchId}:flaky-2", "Succeeded", Wait);
        var second = await WaitForBatchAsync(batchId, "Completed");
        Assert.Equal(3, second.GetProperty("counts").GetProperty("Succeeded").GetInt32());

        // The second completion is a message of its own; then nothing more comes.
        await Eventually.True(() => completions.MessageIds.Distinct().Count() == 2, Wait, "the second BatchCompleted");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(2, completions.MessageIds.Distinct().Count());
        Assert.Equal(3, completions.MessageIds.Count);
        Assert.Equal(2L, await ScalarAsync($"SELECT completion_run FROM batches WHERE id = '{batchId}'"));
    }

    async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(app.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(app.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
