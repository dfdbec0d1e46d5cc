using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Orchestrator.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>One request id, one saga, one model call, one terminal event: however often and however it is submitted.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_a_request_is_submitted_more_than_once(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    static readonly string[] MessageTypes = ["urn:message:Orchestrator.Contracts:InferenceRequested"];

    ProductionCluster Cluster => app.Cluster;

    [Fact]
    public async Task Should_keep_one_saga_one_model_call_and_one_outcome_for_200_concurrent_submissions()
    {
        var id = $"dup-{Guid.NewGuid():N}"[..20];
        await using var outcomes = await OutcomeListener.StartAsync(id);
        var factory = new ConnectionFactory { Uri = new Uri(TestServers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();

        var text = $"Only once, please: {id}";
        var viaApi = Parallel.ForEachAsync(Enumerable.Range(0, 100), new ParallelOptions { MaxDegreeOfParallelism = 25 }, async (_, ct) =>
        {
            using var response = await Cluster.Api.PostAsJsonAsync("api/requests", new
            {
                requestId = id,
                model = "sim",
                messages = new[] { new { role = "user", content = new[] { new { type = "text", text } } } },
            }, ct);
            Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK,
                $"a duplicate submission answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        });
        var viaBus = Task.Run(async () =>
        {
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
            for (var i = 0; i < 100; i++)
            {
                var body = JsonSerializer.Serialize(new
                {
                    messageId = Guid.NewGuid(),
                    messageType = MessageTypes,
                    message = new
                    {
                        requestId = id,
                        model = "sim",
                        messages = new[] { new { role = "user", content = new[] { new { type = "text", text } } } },
                    },
                });
                await channel.BasicPublishAsync("Orchestrator.Contracts:InferenceRequested", "", mandatory: false, properties, Encoding.UTF8.GetBytes(body));
            }
        });
        await Task.WhenAll(viaApi, viaBus);

        await Cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(30));
        // Give any duplicate that would have been created the time to show.
        await Eventually.Until(() => Task.FromResult(outcomes.MessageIds.Count), n => n >= 1, TimeSpan.FromSeconds(10), "the outcome was published");
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Equal(1, await Cluster.CountAsync($"request_id = '{id}'"));
        Assert.Single(await Cluster.AttemptsAsync(id));
        Assert.Equal(1, await Cluster.ModelCallsAsync(id));
        Assert.Single(outcomes.MessageIds);
    }

    [Fact]
    public async Task Should_refuse_the_same_id_with_another_payload_and_leave_the_original_untouched()
    {
        var id = $"conflict-{Guid.NewGuid():N}"[..24];
        await Cluster.SubmitAsync(id, "The original question");
        await Cluster.WaitForStateAsync(id, "Succeeded", TimeSpan.FromSeconds(30));

        using var conflict = await Cluster.Api.PostAsJsonAsync("api/requests", new
        {
            requestId = id,
            model = "sim",
            messages = new[] { new { role = "user", content = "A different question" } },
        });
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("different payload", await conflict.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var same = await Cluster.Api.PostAsJsonAsync("api/requests", new
        {
            requestId = id,
            model = "sim",
            messages = new[] { new { role = "user", content = "The original question" } },
        });
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);

        using var doc = JsonDocument.Parse(await Cluster.Api.GetStringAsync(new Uri($"api/requests/{id}", UriKind.Relative)));
        Assert.Equal("Succeeded", doc.RootElement.GetProperty("state").GetString());
        Assert.Single(doc.RootElement.GetProperty("attempts").EnumerateArray());
        Assert.Equal(1, await Cluster.CountAsync($"request_id = '{id}' AND payload::text LIKE '%The original question%'"));
        Assert.Equal(1, await Cluster.ModelCallsAsync(id));
    }
}
