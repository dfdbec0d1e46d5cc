using System.Net;
using System.Text;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// Messages that are not requests at all, on the saga's exchange: unreadable JSON, a type nobody consumes, a request
/// without an id, fields of the wrong type, a huge request. Each ends where it can be looked at (the error or skipped
/// queue, with the orchestrator's reason; or Failed with a reason when it names a request), and the orchestrator goes
/// on serving the others.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_hostile_messages_arrive_on_the_bus(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    const string Exchange = "Orchestrator.Contracts:InferenceRequested";
    static readonly string[] RequestedType = ["urn:message:Orchestrator.Contracts:InferenceRequested"];
    static readonly string[] UnknownType = ["urn:message:Somebody.Else:InvoicePrinted"];
    static readonly int[] NotANumber = [1, 2];

    readonly ConnectionFactory _factory = new() { Uri = new Uri(TestServers.RabbitMq) };

    [Fact]
    public async Task Should_park_each_with_a_reason_and_keep_serving()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var malformed = $"hostile-{run}-malformed";
        var unknown = $"hostile-{run}-unknown";
        var anonymous = $"hostile-{run}-anonymous";
        var wrongTypes = $"hostile-{run}-types";
        var huge = $"hostile-{run}-huge";

        await PublishAsync(Encoding.UTF8.GetBytes($"{{\"messageId\": \"{Guid.NewGuid()}\", \"marker\": \"{malformed}\", \"message\": {{ oops"));
        await PublishAsync(Envelope(UnknownType, new { requestId = unknown, invoice = 4711 }));
        await PublishAsync(Envelope(RequestedType, new { model = "sim", sourceService = anonymous, messages = new[] { new { role = "user", content = new[] { new { type = "text", text = "who am I?" } } } } }));
        await PublishAsync(Envelope(RequestedType, new { requestId = wrongTypes, model = "sim", parameters = new { temperature = "hot", maxTokens = NotANumber }, messages = "not a list" }));
        // 8 MB of text in one message: the broker carries it, the input gate refuses it by its size.
        await PublishAsync(Envelope(RequestedType, new { requestId = huge, model = "sim", messages = new[] { new { role = "user", content = new[] { new { type = "text", text = new string('x', 8 * 1024 * 1024) } } } } }));

        var malformedReason = await TakeAsync("inference-requests_error", malformed);
        Assert.Contains("UncorrelatableMessageException: the body is not JSON: ", malformedReason, StringComparison.Ordinal);
        await TakeAsync("inference-requests_skipped", unknown);
        // Without a request id the message names no request: parked, and the reason says what was missing.
        var anonymousReason = await TakeAsync("inference-requests_error", anonymous);
        Assert.EndsWith("UncorrelatableMessageException: the message has no requestId, so it cannot be tied to a request", anonymousReason, StringComparison.Ordinal);
        Assert.Equal(0, await app.Cluster.CountAsync($"request_id LIKE 'hostile-{run}-%' AND request_id NOT IN ('{huge}', '{wrongTypes}')"));

        // Fields of the wrong type in a message that names its request: that request ends Failed, each field named.
        await app.Cluster.WaitForStateAsync(wrongTypes, "Failed", TimeSpan.FromSeconds(60));
        Assert.Equal("InvalidInput | messages: expected an array of messages (got a string); parameters.temperature: expected a number (got a string); parameters.maxTokens: expected a whole number (got an array)",
            await app.Database.ScalarAsync<string>($"SELECT failure_kind || ' | ' || reason FROM inference_requests WHERE request_id = '{wrongTypes}'"));

        await app.Cluster.WaitForStateAsync(huge, "Failed", TimeSpan.FromSeconds(60));
        var row = await app.Database.ScalarAsync<string>($"SELECT failure_kind || ' | ' || reason FROM inference_requests WHERE request_id = '{huge}'");
        Assert.True(row.StartsWith("InvalidInput | ", StringComparison.Ordinal) && row.Contains("at most 100000", StringComparison.Ordinal), row);
        Assert.Equal(0, await app.Cluster.ModelCallsAsync(huge));

        // Still serving: alive, ready, and an ordinary request goes through.
        Assert.Equal(HttpStatusCode.OK, (await app.Api.GetAsync(new Uri("health/ready", UriKind.Relative))).StatusCode);
        var after = $"hostile-{run}-after";
        await app.Cluster.SubmitAsync(after, "Business as usual");
        await app.Cluster.WaitForStateAsync(after, "Succeeded", TimeSpan.FromSeconds(60));
    }

    static byte[] Envelope(string[] messageType, object message) =>
        JsonSerializer.SerializeToUtf8Bytes(new { messageId = Guid.NewGuid(), messageType, message });

    async Task PublishAsync(byte[] body)
    {
        await using var connection = await _factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync(Exchange, "", mandatory: false, properties, body);
    }

    /// <summary>
    /// Waits until the orchestrator's dead-letter collector has recorded the message naming <paramref name="marker"/>
    /// from <paramref name="queue"/> (it drains the error and skipped queues into <c>dead_letters</c>); returns the
    /// recorded reason, which carries MassTransit's fault message where there is one.
    /// </summary>
    Task<string> TakeAsync(string queue, string marker) =>
        Eventually.Until(
            () => app.Database.ScalarAsync<string>(
                $"SELECT COALESCE((SELECT reason FROM dead_letters WHERE queue = '{queue}' AND position(convert_to('{marker}', 'UTF8') IN body) > 0 LIMIT 1), '')"),
            reason => reason.Length > 0, TimeSpan.FromSeconds(60), $"the message {marker} recorded from {queue}", () => app.Diagnostics);
}
