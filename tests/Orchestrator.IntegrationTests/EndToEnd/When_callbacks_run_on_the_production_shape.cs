using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Orchestrator.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>Callbacks on PostgreSQL and RabbitMQ with two orchestrators claiming deliveries from one table.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_callbacks_run_on_the_production_shape
{
    [Fact]
    public async Task Should_deliver_each_event_through_one_orchestrator_retrying_a_500_once()
    {
        await using var receiver = new CallbackReceiver();
        await using var cluster = await ProductionCluster.StartAsync(orchestrators: 2, orchestratorSettings: new Dictionary<string, string>
        {
            ["Orchestrator__Callbacks__SigningSecret"] = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Orchestrator__Callbacks__AllowedHosts__0"] = "127.0.0.1",
            ["Orchestrator__Callbacks__InitialInterval"] = "00:00:00.200",
            ["Orchestrator__Callbacks__PollInterval"] = "00:00:00.050",
        });
        var ids = Enumerable.Range(0, 30).Select(i => $"cb-pg-{i}-{Guid.NewGuid():N}"[..20]).ToList();
        foreach (var id in ids)
            await cluster.SubmitAsync(id, "Hello", new { callback = new { url = receiver.Url($"flaky/{id}") } });

        foreach (var id in ids)
            await cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(60));
        await Eventually.Until(() => CountAsync(cluster, "SELECT COUNT(*) FROM callback_events WHERE state = 'Delivered'"), n => n == ids.Count,
            TimeSpan.FromSeconds(60), "every event delivered", () => cluster.Diagnostics);

        // Both orchestrators polled the one table: each event was claimed by one at a time, so exactly a 500 and a 200 each.
        foreach (var id in ids)
        {
            var posts = receiver.For($"flaky/{id}");
            Assert.Equal([500, 200], posts.Select(p => p.AnsweredStatus));
            Assert.Single(posts.Select(p => p.WebhookId).Distinct());
        }
        Assert.Equal(ids.Count, await CountAsync(cluster, "SELECT COUNT(*) FROM callback_events"));
        Assert.Equal(2L * ids.Count, await CountAsync(cluster, "SELECT COUNT(*) FROM callback_deliveries"));
        Assert.Equal(ids.Count, await CountAsync(cluster, "SELECT COUNT(*) FROM callback_deliveries WHERE status_code = 500 AND next_attempt_at IS NOT NULL"));
    }

    [Fact]
    public async Task Should_keep_the_event_written_with_the_state_and_deliver_it_after_a_crash()
    {
        await using var receiver = new CallbackReceiver();
        var marker = Path.Combine(Path.GetTempPath(), $"orch-cb-crash-{Guid.NewGuid():N}");
        await using var cluster = await ProductionCluster.StartAsync(orchestratorSettings: new Dictionary<string, string>
        {
            ["Orchestrator__Callbacks__SigningSecret"] = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Orchestrator__Callbacks__AllowedHosts__0"] = "127.0.0.1",
            ["Orchestrator__FaultInjection__CrashAfterCommitOf"] = "AttemptSucceeded",
            ["Orchestrator__FaultInjection__CrashMarkerFile"] = marker,
        });
        var id = $"cb-crash-{Guid.NewGuid():N}"[..22];
        try
        {
            await cluster.SubmitAsync(id, "Survive the crash", new { callback = new { url = receiver.Url($"ok/{id}") } });
            // The orchestrator commits Succeeded and dies at once: the event was committed with it, or neither was.
            await Eventually.Until(() => Task.FromResult(File.Exists(marker)), done => done, TimeSpan.FromSeconds(30), "the crash drill ran", () => cluster.Diagnostics);
            Assert.Equal("Succeeded", await cluster.StateAsync(id));
            Assert.Equal(1, await CountAsync(cluster, $"SELECT COUNT(*) FROM callback_events WHERE request_id = '{id}' AND type = 'inference.succeeded'"));

            await cluster.StartOrchestratorAsync("orchestrator-1");
            await Eventually.Until(() => CountAsync(cluster, $"SELECT COUNT(*) FROM callback_events WHERE request_id = '{id}' AND state = 'Delivered'"), n => n == 1,
                TimeSpan.FromSeconds(60), "the event delivered after the restart", () => cluster.Diagnostics);
            Assert.Contains(receiver.For($"ok/{id}"), p => p.AnsweredStatus == 200 && p.Body.Contains("\"type\":\"inference.succeeded\"", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task Should_take_a_callback_from_the_bus_and_refuse_one_the_allowlist_does_not_name()
    {
        await using var receiver = new CallbackReceiver();
        await using var cluster = await ProductionCluster.StartAsync(orchestratorSettings: new Dictionary<string, string>
        {
            ["Orchestrator__Callbacks__SigningSecret"] = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Orchestrator__Callbacks__AllowedHosts__0"] = "127.0.0.1",
        });
        var ok = $"cb-bus-{Guid.NewGuid():N}"[..20];
        var refused = $"cb-bus-no-{Guid.NewGuid():N}"[..22];
        await PublishAsync(Message(ok, receiver.Url($"ok/{ok}")));
        await PublishAsync(Message(refused, "https://example.com/hook"));

        await cluster.WaitForStateAsync(ok, "Succeeded", TimeSpan.FromSeconds(60));
        await Eventually.Until(() => Task.FromResult(receiver.For($"ok/{ok}").Count), n => n == 1, TimeSpan.FromSeconds(30), "the bus request's callback", () => cluster.Diagnostics);
        Assert.Contains("\"type\":\"inference.succeeded\"", receiver.For($"ok/{ok}")[0].Body, StringComparison.Ordinal);

        await cluster.WaitForStateAsync(refused, "Failed", TimeSpan.FromSeconds(60));
        await using var connection = new NpgsqlConnection(cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT failure_kind || '|' || reason FROM inference_requests WHERE request_id = @id", connection);
        command.Parameters.AddWithValue("id", refused);
        Assert.Equal("InvalidInput|callback.url: host 'example.com' is not one of Orchestrator:Callbacks:AllowedHosts (127.0.0.1)", await command.ExecuteScalarAsync() as string);
        // Refused for its URL, it announces nothing there.
        Assert.Equal(0, await CountAsync(cluster, $"SELECT COUNT(*) FROM callback_events WHERE request_id = '{refused}'"));
    }

    [Fact]
    public async Task Should_announce_a_batch_completion_once_with_the_batch_as_data_and_refuse_a_url_not_allowed()
    {
        await using var receiver = new CallbackReceiver();
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var cluster = await ProductionCluster.StartAsync(orchestratorSettings: new Dictionary<string, string>
        {
            ["Orchestrator__Callbacks__SigningSecret"] = secret,
            ["Orchestrator__Callbacks__AllowedHosts__0"] = "127.0.0.1",
            ["Orchestrator__Callbacks__InitialInterval"] = "00:00:00.200",
            ["Orchestrator__Callbacks__PollInterval"] = "00:00:00.050",
        });
        string[] lines = [BatchLine("a", "Hello"), BatchLine("b", "Bad [[sim: 400]]"), BatchLine("c", "Hello again")];

        // A URL the allowlist does not name: 400 naming callbackUrl and why, and neither the batch nor a request exists.
        var refusedId = $"bt-cb-no-{Guid.NewGuid():N}"[..22];
        using (var refused = await SubmitBatchAsync(cluster, refusedId, "https://example.com/hook", lines))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            var reason = Assert.Single(problem.RootElement.GetProperty("errors").GetProperty("callbackUrl").EnumerateArray()).GetString();
            Assert.Equal("host 'example.com' is not one of Orchestrator:Callbacks:AllowedHosts (127.0.0.1)", reason);
        }
        Assert.Equal(0, await CountAsync(cluster,
            $"SELECT (SELECT COUNT(*) FROM batches WHERE id = '{refusedId}') + (SELECT COUNT(*) FROM inference_requests WHERE batch_id = '{refusedId}')"));

        // The receiver answers the first delivery of each webhook-id with a 500, so the one event is retried once.
        var batchId = $"bt-cb-{Guid.NewGuid():N}"[..20];
        var url = receiver.Url($"flaky/{batchId}");
        using (var submitted = await SubmitBatchAsync(cluster, batchId, url, lines))
            Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        // Submitted again with another URL: the same batch, its callback still the first.
        using (var again = await SubmitBatchAsync(cluster, batchId, receiver.Url($"ok/{batchId}-other"), lines))
            Assert.True(again.StatusCode == HttpStatusCode.Accepted, await again.Content.ReadAsStringAsync());

        var shown = await Eventually.Until(async () => JsonNode.Parse(await cluster.Api.GetStringAsync(new Uri($"api/batches/{batchId}", UriKind.Relative)))!,
            b => (string?)b["state"] == "Completed" && (string?)b["callback"]?["state"] == "Delivered", TimeSpan.FromSeconds(90),
            $"batch {batchId} completed and announced", () => cluster.Diagnostics);
        // Once BatchCompleted is marked published the batch is closed: no later sweep can announce it again.
        await Eventually.Until(() => CountAsync(cluster, $"SELECT COUNT(*) FROM batches WHERE id = '{batchId}' AND published_at IS NOT NULL"), n => n == 1,
            TimeSpan.FromSeconds(60), "the completion published", () => cluster.Diagnostics);
        Assert.Equal(1, await CountAsync(cluster, $"SELECT COUNT(*) FROM callback_events WHERE request_id = '{batchId}'"));

        var posts = receiver.For($"flaky/{batchId}");
        Assert.Equal([500, 200], posts.Select(p => p.AnsweredStatus));
        Assert.Single(posts.Select(p => p.WebhookId).Distinct());
        Assert.Equal(posts[0].Body, posts[1].Body);
        Assert.Empty(receiver.For($"ok/{batchId}-other"));
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        foreach (var post in posts)
        {
            var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{post.WebhookId}.{post.WebhookTimestamp}.{post.Body}")));
            Assert.Contains(expected, post.WebhookSignature.Split(' '));
            Assert.Equal(Encoding.UTF8.GetByteCount(post.Body), post.ContentLength);
        }

        // data is the batch as GET shows it; its callback carries only the URL (a request's events do the same).
        var body = JsonNode.Parse(posts[1].Body)!;
        Assert.Equal("batch.completed", (string?)body["type"]);
        var data = body["data"]!.AsObject();
        Assert.Equal(url, (string?)data["callback"]!["url"]);
        Assert.Null(data["callback"]!["events"]);
        var callback = shown["callback"]!.DeepClone();
        data.Remove("callback");
        shown.AsObject().Remove("callback");
        Assert.True(JsonNode.DeepEquals(shown, data), $"GET: {shown.ToJsonString()}\ndata: {data.ToJsonString()}");
        Assert.Equal((2, 1), ((int)data["counts"]!["Succeeded"]!, (int)data["counts"]!["Failed"]!));

        // GET shows the event with both attempts; the operators' list finds it by batch, and names the batch.
        Assert.Equal(url, (string?)callback["url"]);
        var evt = Assert.Single(callback["events"]!.AsArray())!;
        Assert.Equal(posts[0].WebhookId, (string?)evt["eventId"]);
        Assert.Equal([500, 200], evt["deliveries"]!.AsArray().Select(d => (int)d!["statusCode"]!));
        var listed = JsonNode.Parse(await cluster.Api.GetStringAsync(new Uri($"api/callbacks?state=Delivered&batchId={batchId}", UriKind.Relative)))!;
        var item = Assert.Single(listed["items"]!.AsArray())!;
        Assert.Equal((batchId, null, "batch.completed"), ((string?)item["batchId"], (string?)item["requestId"], (string?)item["type"]));
    }

    static string BatchLine(string customId, string text) =>
        $$$"""{"custom_id": "{{{customId}}}", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "sim", "messages": [{"role": "user", "content": "{{{text}}}"}]}}""";

    static async Task<HttpResponseMessage> SubmitBatchAsync(ProductionCluster cluster, string batchId, string callbackUrl, IEnumerable<string> lines)
    {
        var content = new StringContent(string.Join("\n", lines) + "\n", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/batches?callbackUrl={Uri.EscapeDataString(callbackUrl)}") { Content = content };
        request.Headers.Add("Idempotency-Key", batchId);
        return await cluster.Api.SendAsync(request);
    }

    static string Message(string requestId, string callbackUrl) => System.Text.Json.JsonSerializer.Serialize(new
    {
        requestId,
        model = "sim",
        messages = new[] { new { role = "user", content = "Hello" } },
        callback = new { url = callbackUrl },
    });

    static async Task PublishAsync(string message)
    {
        var body = $$"""{"messageId": "{{Guid.NewGuid()}}", "messageType": ["urn:message:Orchestrator.Contracts:InferenceRequested"], "message": {{message}}}""";
        var factory = new ConnectionFactory { Uri = new Uri(TestServers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync("Orchestrator.Contracts:InferenceRequested", "", mandatory: false, properties, Encoding.UTF8.GetBytes(body));
    }

    static async Task<long> CountAsync(ProductionCluster cluster, string sql)
    {
        await using var connection = new NpgsqlConnection(cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
