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

    /// <summary>Takes this request's message off the saga's error queue and returns MassTransit's fault reason.</summary>
    static async Task<string> FaultReasonAsync(ConnectionFactory factory, string requestId)
    {
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await Eventually.Until(async () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                var message = await channel.BasicGetAsync("inference-requests_error", autoAck: false);
                if (message is null)
                    break;
                if (Encoding.UTF8.GetString(message.Body.Span).Contains(requestId, StringComparison.Ordinal))
                {
                    await channel.BasicAckAsync(message.DeliveryTag, multiple: false);
                    return message.BasicProperties.Headers?.TryGetValue("MT-Fault-Message", out var reason) == true && reason is byte[] bytes
                        ? Encoding.UTF8.GetString(bytes)
                        : "";
                }
            }
            // Not there yet: give the others back (closing the channel requeues what it did not acknowledge).
            return "";
        }, r => r.Length > 0, TimeSpan.FromSeconds(30), $"the message of {requestId[..20]}... in inference-requests_error");
    }

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
            // On the bus the generation parameters travel in "parameters", not at the top level as on the API.
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
                // An id too long to store cannot name a request: the message goes to the error queue, with why.
                Assert.Contains("at most 128", await FaultReasonAsync(factory, id), StringComparison.Ordinal);
                Assert.Equal(0, await app.Cluster.CountAsync($"request_id = '{id}'"));
                Assert.Equal(0, await app.Cluster.ModelCallsAsync(id));
                continue;
            }
            await app.Cluster.WaitForStateAsync(id, "Failed", TimeSpan.FromSeconds(30));
            var row = await app.Database.ScalarAsync<string>($"SELECT failure_kind || ' | ' || reason FROM inference_requests WHERE request_id = '{id.Replace("'", "''", StringComparison.Ordinal)}'");
            Assert.True(row.StartsWith("InvalidInput | ", StringComparison.Ordinal) && row.Contains(reason, StringComparison.Ordinal), $"{name}: {row}");
            Assert.Empty(await app.Cluster.AttemptsAsync(id));
            Assert.Equal(0, await app.Cluster.ModelCallsAsync(id));
        }
    }
}
