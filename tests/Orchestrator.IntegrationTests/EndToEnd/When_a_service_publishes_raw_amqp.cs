using System.Text;
using Orchestrator.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// What docs/reference/messages.md promises to services in other languages: a plain AMQP publish of the documented envelope to the
/// documented exchange starts a request.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_a_service_publishes_raw_amqp(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    [Fact]
    public async Task Should_run_the_request_to_success()
    {
        var requestId = $"amqp-{Guid.NewGuid():N}"[..24];
        var factory = new ConnectionFactory { Uri = new Uri(TestServers.RabbitMq) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)))
        {
            var body = $$"""
                {
                  "messageId": "{{Guid.NewGuid()}}",
                  "messageType": ["urn:message:Orchestrator.Contracts:InferenceRequested"],
                  "message": {
                    "requestId": "{{requestId}}",
                    "model": "sim",
                    "messages": [ { "role": "user", "content": [ { "type": "text", "text": "Hello from another language" } ] } ],
                    "parameters": { "temperature": 0.3, "maxTokens": 50 },
                    "sourceService": "python-billing"
                  }
                }
                """;
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
            await channel.BasicPublishAsync("Orchestrator.Contracts:InferenceRequested", "", mandatory: false, properties, Encoding.UTF8.GetBytes(body));
        }

        var state = await Eventually.Until(
            () => app.Database.ScalarAsync<string>($"SELECT COALESCE(state, '') || '|' || COALESCE(source_service, '') FROM inference_requests WHERE request_id = '{requestId}' UNION ALL SELECT '' LIMIT 1"),
            s => s.StartsWith("Succeeded", StringComparison.Ordinal), TimeSpan.FromSeconds(60), $"{requestId} Succeeded", () => app.Diagnostics);
        Assert.Equal("Succeeded|python-billing", state);
    }
}
