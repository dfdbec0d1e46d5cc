using System.Text;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// What docs/reference/messages.md promises to services in other languages, published with a plain AMQP client (not
/// MassTransit): the OpenAI shape runs as the API's body does, every message that names a request gets an outcome,
/// and a message that names none is parked once, with a reason of the orchestrator's.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_a_service_publishes_raw_amqp(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    const string Exchange = "Orchestrator.Contracts:InferenceRequested";

    static string Id(string name) => $"amqp-{name}-{Guid.NewGuid():N}"[..30];

    static string Envelope(string message) =>
        $$"""{"messageId": "{{Guid.NewGuid()}}", "messageType": ["urn:message:Orchestrator.Contracts:InferenceRequested"], "message": {{message}}}""";

    static async Task PublishAsync(string body)
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestServers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync(Exchange, "", mandatory: false, properties, Encoding.UTF8.GetBytes(body));
    }

    Task<string> RowAsync(string requestId, string state) =>
        Eventually.Until(
            () => app.Database.ScalarAsync<string>($"SELECT COALESCE((SELECT state || '|' || COALESCE(failure_kind, '') || '|' || COALESCE(reason, '') FROM inference_requests WHERE request_id = '{requestId}'), '')"),
            row => row.StartsWith(state + "|", StringComparison.Ordinal), TimeSpan.FromSeconds(60), $"{requestId} {state}", () => app.Diagnostics);

    [Fact]
    public async Task Should_run_the_plain_openai_shape_with_top_level_parameters()
    {
        var requestId = Id("plain");
        await PublishAsync(Envelope($$"""
            {"requestId": "{{requestId}}", "model": "sim",
             "messages": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Hello from another language"}],
             "temperature": 0.3, "max_tokens": 50, "seed": 11, "sourceService": "python-billing"}
            """));

        Assert.StartsWith("Succeeded|", await RowAsync(requestId, "Succeeded"), StringComparison.Ordinal);
        Assert.Equal("python-billing", await app.Database.ScalarAsync<string>($"SELECT source_service FROM inference_requests WHERE request_id = '{requestId}'"));
        // The top-level parameters were kept for every attempt, not dropped.
        using var payload = JsonDocument.Parse(await app.Database.ScalarAsync<string>($"SELECT payload::text FROM inference_requests WHERE request_id = '{requestId}'"));
        var parameters = payload.RootElement.GetProperty("parameters");
        Assert.Equal(0.3, parameters.GetProperty("temperature").GetDouble());
        Assert.Equal(50, parameters.GetProperty("maxTokens").GetInt32());
        Assert.Equal(11, parameters.GetProperty("seed").GetInt64());
        Assert.Equal("Hello from another language", payload.RootElement.GetProperty("messages")[1].GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Should_run_the_parts_shape_with_parameters_nested()
    {
        var requestId = Id("parts");
        await PublishAsync(Envelope($$"""
            {"requestId": "{{requestId}}", "model": "sim",
             "messages": [{"role": "user", "content": [{"type": "text", "text": "Describe it"},
                                                      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "detail": "low"} } ] } ],
             "parameters": {"temperature": 0.3, "maxTokens": 50} }
            """));
        Assert.StartsWith("Succeeded|", await RowAsync(requestId, "Succeeded"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_an_unknown_field_and_a_wrong_type_by_name_with_InvalidInput()
    {
        var unknown = Id("unknown");
        var wrongType = Id("types");
        await using var failed = await OutcomeListener.StartAsync(wrongType, "Orchestrator.Contracts:InferenceFailed");
        await PublishAsync(Envelope($$"""{"requestId": "{{unknown}}", "model": "sim", "messages": [{"role": "user", "content": "hi"}], "user": "u-42"}"""));
        await PublishAsync(Envelope($$"""{"requestId": "{{wrongType}}", "model": "sim", "messages": [{"role": "user", "content": 42}], "temperature": "hot"}"""));

        Assert.StartsWith("Failed|InvalidInput|user: unknown field", await RowAsync(unknown, "Failed"), StringComparison.Ordinal);
        Assert.Equal("Failed|InvalidInput|messages[0].content: expected a string or an array of parts (got a number); temperature: expected a number (got a string)",
            await RowAsync(wrongType, "Failed"));
        // The sender hears of it: the outcome is published, as for any failure.
        Assert.True(await Eventually.Holds(() => !failed.MessageIds.IsEmpty, TimeSpan.FromSeconds(30)), $"no InferenceFailed for {wrongType}");
        Assert.Equal(0, await app.Cluster.ModelCallsAsync(unknown) + await app.Cluster.ModelCallsAsync(wrongType));
    }

    [Fact]
    public async Task Should_fail_a_new_request_whose_deadline_has_passed_at_once()
    {
        var requestId = Id("late");
        await PublishAsync(Envelope($$"""{"requestId": "{{requestId}}", "model": "sim", "messages": [{"role": "user", "content": "too late"}], "deadline": "2020-01-01T00:00:00Z"}"""));
        Assert.StartsWith("Failed|DeadlineExceeded|the deadline 2020-01-01T00:00:00.000Z has already passed", await RowAsync(requestId, "Failed"), StringComparison.Ordinal);
        Assert.Empty(await app.Cluster.AttemptsAsync(requestId));
        Assert.Equal(0, await app.Cluster.ModelCallsAsync(requestId));
    }

    /// <summary>Garbage, an envelope without its message, and 8 MB of noise: each one dead letter, with its reason.</summary>
    [Fact]
    public async Task Should_record_each_unreadable_message_once_with_a_reason_of_its_own()
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var cases = new (string Marker, string Body, string Reason)[]
        {
            ($"braces-{run}", $"{{{{{{ braces-{run}", "UncorrelatableMessageException: the body is not JSON: "),
            ($"nomessage-{run}", $$"""{"messageId": "{{Guid.NewGuid()}}", "messageType": ["urn:message:Orchestrator.Contracts:InferenceRequested"], "marker": "nomessage-{{run}}"}""", "UncorrelatableMessageException: the envelope has no \"message\""),
            ($"noid-{run}", Envelope($$"""{"model": "sim", "sourceService": "noid-{{run}}", "messages": [{"role": "user", "content": "who am I?"}]}"""), "UncorrelatableMessageException: the message has no requestId, so it cannot be tied to a request"),
            ($"numberid-{run}", Envelope($$"""{"requestId": 42, "sourceService": "numberid-{{run}}"}"""), "UncorrelatableMessageException: the message's requestId must be a string (got a number)"),
            ($"noise-{run}", $"noise-{run} " + new string('#', 8 * 1024 * 1024), "UncorrelatableMessageException: the body is not JSON: "),
        };
        foreach (var (_, body, _) in cases)
            await PublishAsync(body);

        foreach (var (marker, _, reason) in cases)
        {
            var recorded = await Eventually.Until(
                () => app.Database.ScalarAsync<string>(
                    $"SELECT COALESCE((SELECT reason FROM dead_letters WHERE queue = 'inference-requests_error' AND position(convert_to('{marker}', 'UTF8') IN body) > 0 LIMIT 1), '')"),
                r => r.Length > 0, TimeSpan.FromSeconds(60), $"{marker} recorded", () => app.Diagnostics);
            Assert.Contains(reason, recorded, StringComparison.Ordinal);
        }

        // Each once: a collector that marks what it recorded does not record it again as undelivered. (A second row
        // came from the same delivery, right after the first; an ordinary request run end to end meanwhile gives it
        // every chance to show.)
        var after = Id("after");
        await app.Cluster.SubmitAsync(after, "Business as usual");
        await app.Cluster.WaitForStateAsync(after, "Succeeded", TimeSpan.FromSeconds(60));
        foreach (var (marker, _, _) in cases)
        {
            Assert.Equal(1, await app.Database.ScalarAsync<long>(
                $"SELECT count(*) FROM dead_letters WHERE position(convert_to('{marker}', 'UTF8') IN body) > 0"));
        }
    }
}
