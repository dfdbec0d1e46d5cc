using System.Runtime.CompilerServices;
using System.Text.Json;
using MassTransit;
using Orchestrator.StateMachines;

namespace Orchestrator.Tests.StateMachines;

/// <summary>
/// One request's messages go one at a time through a process only if every message the machine consumes passes the
/// partitioner. Read from the running bus's own description of its pipes, for every event the machine declares.
/// </summary>
public sealed class When_the_saga_endpoint_is_configured
{
    [Fact]
    public async Task Should_partition_every_event_of_the_machine()
    {
        await using var spec = await SagaSpecHarness.StartAsync(withDefinition: true);
        using var probe = JsonDocument.Parse(JsonSerializer.Serialize(spec.Harness.Bus.GetProbeResult()));
        var endpoint = Descendants(probe.RootElement)
            .Single(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("name", out var name) &&
                         name.GetString() == InferenceRequestStateDefinition.QueueName && e.TryGetProperty("receiveTransport", out _));
        var pipes = Descendants(endpoint).Where(e => IsFilter(e, "dispatchPipe"))
            .ToDictionary(e => e.GetProperty("outputType").GetString()!, e => e);

        var events = typeof(InferenceRequestStateMachine).GetProperties()
            .Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(Event<>))
            .ToList();
        Assert.Equal(spec.Machine.Events.Count(), events.Count);
        var unpartitioned = events
            .Where(e => !pipes.TryGetValue($"MassTransit.ConsumeContext<{e.PropertyType.GetGenericArguments()[0].FullName}>", out var pipe) ||
                        !Descendants(pipe).Any(f => IsFilter(f, "partition")))
            .Select(e => e.Name)
            .ToList();
        Assert.True(unpartitioned.Count == 0, $"events not partitioned by request: {string.Join(", ", unpartitioned)}");
    }

    [Fact]
    public async Task Should_key_each_message_by_its_request_id()
    {
        await using var spec = await SagaSpecHarness.StartAsync();
        var messages = InferenceRequestStateDefinition.PartitionedMessages(spec.Machine);

        Assert.Equal(spec.Machine.Events.Select(e => e.Name).Order(), messages.Select(m => m.Event).Order());
        foreach (var message in messages)
        {
            var instance = RuntimeHelpers.GetUninitializedObject(message.Type);
            message.Type.GetProperty("RequestId")!.SetValue(instance, $"key-{message.Event}");
            Assert.Equal($"key-{message.Event}", message.RequestId.Invoke(instance, null));
        }
    }

    static bool IsFilter(JsonElement element, string type) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("filterType", out var value) && value.GetString() == type;

    static IEnumerable<JsonElement> Descendants(JsonElement element)
    {
        yield return element;
        var children = element.ValueKind switch
        {
            JsonValueKind.Object => element.EnumerateObject().Select(p => p.Value),
            JsonValueKind.Array => element.EnumerateArray(),
            _ => Enumerable.Empty<JsonElement>(),
        };
        foreach (var child in children.SelectMany(Descendants))
            yield return child;
    }
}
