using System.Text;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>The input gate on the bus: each bad request ends Failed with InvalidInput and its own reason, with no model call.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_bad_input_arrives_on_the_bus(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    static readonly string[] MessageTypes = ["urn:message:Orchestrator.Contracts:InferenceRequested"];
    static readonly string[] ParameterKeys = ["temperature", "topP", "maxTokens", "stop"];

    /// <summary>
    /// Waits until the dead-letter collector has recorded the message of this request (moved to the saga's error
    /// queue) and returns its summary, with MassTransit's fault reason.
    /// </summary>
    Task<JsonElement> DeadLetterAsync(string requestId, string status = "Pending") =>
        Eventually.Until(async () =>
        {
            using var page = JsonDocument.Parse(await app.Api.GetStringAsync(new Uri($"api/dead-letters?status={status}&limit=500", UriKind.Relative)));
            return page.RootElement.GetProperty("items").EnumerateArray()
                .Where(i => i.GetProperty("requestId").GetString() is { } id && requestId.StartsWith(id, StringComparison.Ordinal))
                .Select(i => i.Clone()).FirstOrDefault();
        }, item => item.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(30), $"a {status} dead letter for {requestId[..20]}...", () => app.Diagnostics);

    [Fact]
    public async Task Should_fail_each_with_InvalidInput_and_its_own_reason_and_call_no_model()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        // Cases whose fault is the request id itself cannot keep that id: they get a valid one, which is what is
        // checked, except for the id cases, where the saga is found by the bad id.
        var cases = BadInputCases.All.Select((c, i) =>
        {
            var fields = new Dictionary<string, object?>(c.Fields);
            var id = fields.TryGetValue("requestId", out var bad) ? (string)bad! : $"busbad-{run}-{i:D2}";
            fields.Remove("requestId");
            var body = BadInputCases.Request(id, fields);
            // Both doors read the generation parameters at the top level and under "parameters": these take the latter.
            var parameters = new Dictionary<string, object?>();
            foreach (var key in ParameterKeys)
            {
                if (body.Remove(key, out var value))
                    parameters[key] = value;
            }
            if (parameters.Count > 0)
                body["parameters"] = parameters;
            return (c.Name, Id: id, Body: body, c.Reason);
        }).ToList();

        var factory = new ConnectionFactory { Uri = new Uri(TestServers.RabbitMq) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
            foreach (var (_, _, body, _) in cases)
            {
                var envelope = JsonSerializer.Serialize(new { messageId = Guid.NewGuid(), messageType = MessageTypes, message = body });
                await channel.BasicPublishAsync("Orchestrator.Contracts:InferenceRequested", "", mandatory: false, properties, Encoding.UTF8.GetBytes(envelope));
            }
        }

        foreach (var (name, id, _, reason) in cases)
        {
            if (id.Length > 128)
            {
                // An id too long to store cannot name a request: the message goes to the error queue, with why, and
                // the collector records it as a dead letter.
                var letter = await DeadLetterAsync(id);
                Assert.Contains("at most 128", letter.GetProperty("reason").GetString(), StringComparison.Ordinal);
                Assert.Equal("inference-requests_error", letter.GetProperty("queue").GetString());
                Assert.Equal("inference-requests", letter.GetProperty("sourceQueue").GetString());
                Assert.Equal(0, await app.Cluster.CountAsync($"request_id = '{id}'"));
                Assert.Equal(0, await app.Cluster.ModelCallsAsync(id));
                await RequeueAndDiscardAsync(id, letter);
                continue;
            }
            await app.Cluster.WaitForStateAsync(id, "Failed", TimeSpan.FromSeconds(30));
            var row = await app.Database.ScalarAsync<string>($"SELECT failure_kind || ' | ' || reason FROM inference_requests WHERE request_id = '{id.Replace("'", "''", StringComparison.Ordinal)}'");
            Assert.True(row.StartsWith("InvalidInput | ", StringComparison.Ordinal) && row.Contains(reason, StringComparison.Ordinal), $"{name}: {row}");
            Assert.Empty(await app.Cluster.AttemptsAsync(id));
            Assert.Equal(0, await app.Cluster.ModelCallsAsync(id));
        }
    }

    /// <summary>
    /// Requeue sends the recorded message, unchanged, back to its queue: it fails the same way and comes back as a
    /// new dead letter with the same message id. Discard closes that one; each action works once.
    /// </summary>
    async Task RequeueAndDiscardAsync(string requestId, JsonElement letter)
    {
        var first = letter.GetProperty("id").GetInt64();
        using (var detail = JsonDocument.Parse(await app.Api.GetStringAsync(new Uri($"api/dead-letters/{first}", UriKind.Relative))))
            Assert.Contains(requestId, detail.RootElement.GetProperty("body").GetString(), StringComparison.Ordinal);
        using (var requeue = await app.Api.PostAsync(new Uri($"api/dead-letters/{first}/requeue", UriKind.Relative), null))
            Assert.Equal(System.Net.HttpStatusCode.Accepted, requeue.StatusCode);
        using (var again = await app.Api.PostAsync(new Uri($"api/dead-letters/{first}/requeue", UriKind.Relative), null))
            Assert.Equal(System.Net.HttpStatusCode.Conflict, again.StatusCode);

        var second = await DeadLetterAsync(requestId);
        Assert.NotEqual(first, second.GetProperty("id").GetInt64());
        Assert.Equal(letter.GetProperty("messageId").GetString(), second.GetProperty("messageId").GetString());
        Assert.Equal("Requeued", (await DeadLetterAsync(requestId, "Requeued")).GetProperty("status").GetString());

        using (var discard = await app.Api.PostAsync(new Uri($"api/dead-letters/{second.GetProperty("id").GetInt64()}/discard", UriKind.Relative), null))
            Assert.Equal(System.Net.HttpStatusCode.OK, discard.StatusCode);
        Assert.Equal("Discarded", (await DeadLetterAsync(requestId, "Discarded")).GetProperty("status").GetString());
        using (var missing = await app.Api.PostAsync(new Uri("api/dead-letters/999999999/discard", UriKind.Relative), null))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }
}
