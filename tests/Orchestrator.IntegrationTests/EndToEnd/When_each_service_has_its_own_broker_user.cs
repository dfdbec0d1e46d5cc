using System.Text;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// The production shape with a broker user per role: the orchestrator and the worker run a request end to end with
/// only their own rights, a submitting service publishes requests and commands and hears outcomes, and nobody but the
/// orchestrator can publish an outcome (docs/operations.md, "Broker users").
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_each_service_has_its_own_broker_user(BrokerRolesFixture app) : IClassFixture<BrokerRolesFixture>
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    ProductionCluster Cluster => app.Cluster;

    [Fact]
    public async Task Should_run_requests_from_the_api_and_from_a_submitting_service_to_their_outcomes()
    {
        // 429 with Retry-After: the worker publishes its failure and a cooldown, the orchestrator holds the retry and
        // fires it from its timer: every message type of a request's life crosses the broker.
        await Cluster.SubmitAsync("roles-api-1", "Slow down [[sim: 429:1, ok]]");
        await using var outcomes = await OutcomeListener.StartAsync("roles-bus-1", broker: TestServers.RabbitMqSubmitter);

        Assert.Null(await PublishAsync(TestServers.RabbitMqSubmitter, "Orchestrator.Contracts:InferenceRequested", Envelope("InferenceRequested", new
        {
            requestId = "roles-bus-1",
            model = "sim",
            messages = new[] { new { role = "user", content = new[] { new { type = "text", text = "Hello from a service [[sim: 503, ok]]" } } } },
            sourceService = "billing",
        })));
        Assert.Null(await PublishAsync(TestServers.RabbitMqSubmitter, "Orchestrator.Contracts:InferenceRequested", Envelope("InferenceRequested", new
        {
            requestId = "roles-bus-2",
            model = "sim",
            messages = new[] { new { role = "user", content = new[] { new { type = "text", text = "Never mind [[sim: slow:20000]]" } } } },
        })));
        await Cluster.WaitForStateAsync("roles-bus-2", "Processing", Wait);
        Assert.Null(await PublishAsync(TestServers.RabbitMqSubmitter, "Orchestrator.Contracts:CancelInference",
            Envelope("CancelInference", new { requestId = "roles-bus-2", reason = "changed my mind" })));

        await Cluster.WaitForStateAsync("roles-api-1", "Succeeded", Wait);
        await Cluster.WaitForStateAsync("roles-bus-1", "Succeeded", Wait);
        await Cluster.WaitForStateAsync("roles-bus-2", "Cancelled", Wait);
        await Eventually.Until(() => Task.FromResult(outcomes.MessageIds.Count), n => n > 0, Wait, "the submitter hears roles-bus-1's outcome",
            () => Cluster.Diagnostics);
        Assert.Equal(2, (await Cluster.AttemptsAsync("roles-api-1")).Count);
        Assert.DoesNotContain("ACCESS_REFUSED", Cluster.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Orchestrator.Contracts:InferenceSucceeded", "")]
    [InlineData("Orchestrator.Contracts:InferenceFailed", "")]
    [InlineData("Orchestrator.Contracts:InferenceCancelled", "")]
    [InlineData("Orchestrator.Contracts:AttemptSucceeded", "")]
    [InlineData("Orchestrator.Contracts:InvokeModel", "")]
    [InlineData("inference-requests", "")]
    [InlineData("", "inference-requests")]
    public async Task Should_refuse_a_forged_outcome_or_worker_report_from_a_submitter(string exchange, string routingKey)
    {
        var refusal = await PublishAsync(TestServers.RabbitMqSubmitter, exchange, ForgedSuccess("roles-victim"), routingKey);

        Assert.NotNull(refusal);
        Assert.Equal(403, refusal.ReplyCode);
        Assert.StartsWith("ACCESS_REFUSED", refusal.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_a_forged_outcome_from_a_worker()
    {
        var refusal = await PublishAsync(TestServers.RabbitMqWorker, "Orchestrator.Contracts:InferenceSucceeded", ForgedSuccess("roles-victim"));

        Assert.NotNull(refusal);
        Assert.Equal(403, refusal.ReplyCode);
        Assert.Contains("Orchestrator.Contracts:InferenceSucceeded", refusal.ReplyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_not_take_a_worker_report_smuggled_through_the_request_exchange()
    {
        // The broker lets a submitter publish to InferenceRequested's exchange; an AttemptSucceeded envelope put there
        // must not reach the state machine as the worker's answer.
        await Cluster.SubmitAsync("roles-smuggled-1", "Take your time [[sim: slow:3000]]");
        await Cluster.WaitForStateAsync("roles-smuggled-1", "Processing", Wait);

        Assert.Null(await PublishAsync(TestServers.RabbitMqSubmitter, "Orchestrator.Contracts:InferenceRequested", ForgedSuccess("roles-smuggled-1")));

        await Cluster.WaitForStateAsync("roles-smuggled-1", "Succeeded", Wait);
        var output = await Cluster.Database.ScalarAsync<string>("SELECT output FROM inference_requests WHERE request_id = 'roles-smuggled-1'");
        Assert.Equal("Simulated answer to: Take your time", output);
        var reason = await Eventually.Until(
            () => Cluster.Database.ScalarAsync<string>(
                "SELECT COALESCE((SELECT reason FROM dead_letters WHERE request_id = 'roles-smuggled-1' LIMIT 1), '')"),
            r => r.Length > 0, Wait, "the smuggled message recorded as a dead letter", () => Cluster.Diagnostics);
        Assert.Contains("arrived through the exchange Orchestrator.Contracts:InferenceRequested", reason, StringComparison.Ordinal);
    }

    static string ForgedSuccess(string requestId)
    {
        var now = DateTimeOffset.UtcNow;
        return Envelope("AttemptSucceeded", new
        {
            requestId,
            attempt = 1,
            workerId = "forger",
            endpoint = "sim",
            output = "FORGED",
            confidence = 0.99,
            httpStatus = 200,
            startedAt = now,
            finishedAt = now,
        });
    }

    static string Envelope(string type, object message) => JsonSerializer.Serialize(new
    {
        messageId = Guid.NewGuid(),
        messageType = new[] { $"urn:message:Orchestrator.Contracts:{type}" },
        message,
    });

    /// <summary>Publishes with a confirm, as the given user; null when the broker took it, else why it closed the channel.</summary>
    static async Task<ShutdownEventArgs?> PublishAsync(string broker, string exchange, string body, string routingKey = "")
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
        try
        {
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, Encoding.UTF8.GetBytes(body));
            return null;
        }
        catch (OperationInterruptedException refused) when (refused.ShutdownReason is { } reason)
        {
            return reason;
        }
    }
}
