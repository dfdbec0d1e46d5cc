using System.Text.Json;
using MassTransit;
using Orchestrator.Persistence;
using Orchestrator.Sagas.EntityFrameworkCore;
using Orchestrator.StateMachines;
using Orchestrator.Telemetry;
using Orchestrator.Workers.Consumers;

namespace Orchestrator.DeadLetters;

/// <summary>
/// Receive endpoints on the <c>_error</c> and <c>_skipped</c> queues of our own endpoints. They have no consumer,
/// so every message they take goes down the dead-letter pipe (or, when it cannot even be read, the error pipe),
/// where <see cref="RecordDeadLetterFilter"/> writes it to <c>dead_letters</c> and acknowledges it. Works alike on
/// RabbitMQ and the in-memory transport.
/// </summary>
public static class DeadLetterCollectors
{
    /// <summary>The queues whose failures are collected: the saga's and the workers'.</summary>
    public static readonly IReadOnlyList<string> SourceQueues = [InferenceRequestStateDefinition.QueueName, InvokeModelConsumerDefinition.QueueName];

    public static void ConfigureDeadLetterCollectors(this IBusFactoryConfigurator cfg, IBusRegistrationContext context)
    {
        foreach (var source in SourceQueues)
        {
            foreach (var (suffix, kind) in new[] { ("_error", "error"), ("_skipped", "skipped") })
            {
                var queue = source + suffix;
                cfg.ReceiveEndpoint(queue, e =>
                {
                    e.ConfigureConsumeTopology = false;
                    e.PrefetchCount = 16;
                    e.ConcurrentMessageLimit = 4;
                    var filter = new RecordDeadLetterFilter(context, queue, source, kind);
                    e.ConfigureDeadLetter(x => x.UseFilter(filter));
                    e.ConfigureError(x => x.UseFilter(filter));
                });
            }
        }
    }
}

/// <summary>Records the message it is given in <c>dead_letters</c> and does not pass it on: the collector has taken it.</summary>
sealed class RecordDeadLetterFilter(IServiceProvider services, string queue, string sourceQueue, string kind) :
    IFilter<ReceiveContext>, IFilter<ExceptionReceiveContext>
{
    public Task Send(ReceiveContext context, IPipe<ReceiveContext> next) => Record(context, null);

    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        await Record(context, context.Exception);
        // The receive pipe hands a message that was neither consumed nor marked faulted to the dead-letter pipe as
        // well, which is this filter again: marked, an unreadable message is recorded once.
        if (!context.IsFaulted)
            await context.NotifyFaulted(context.Exception);
    }

    async Task Record(ReceiveContext context, Exception? collectorException)
    {
        var headers = context.TransportHeaders.GetAll()
            .Where(h => h.Value is not null)
            .ToDictionary(h => h.Key, h => Convert.ToString(h.Value, System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
        var body = context.Body.GetBytes();
        var (messageId, messageType, requestId) = Peek(body);
        messageId ??= headers.GetValueOrDefault("MessageId");

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var clock = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        var letter = new DeadLetter
        {
            ReceivedAt = clock.GetUtcNow().UtcDateTime,
            Queue = queue,
            SourceQueue = sourceQueue,
            Kind = kind,
            MessageId = Cut(messageId, 200),
            MessageType = Cut(messageType, 500),
            RequestId = Cut(requestId, 200),
            Reason = Reason(headers, messageType, collectorException),
            ContentType = context.ContentType?.ToString(),
            Headers = JsonSerializer.Serialize(headers),
            Body = body,
        };
        db.DeadLetters.Add(letter);
        using (await scope.ServiceProvider.GetRequiredService<WriterGate>().EnterAsync(context.CancellationToken))
            await db.SaveChangesAsync(context.CancellationToken);
        scope.ServiceProvider.GetRequiredService<ILogger<RecordDeadLetterFilter>>()
            .DeadLetterRecorded(letter.Id, queue, letter.MessageType ?? "(unknown type)", letter.Reason);
    }

    string Reason(Dictionary<string, string?> headers, string? messageType, Exception? collectorException)
    {
        if (headers.GetValueOrDefault("MT-Fault-Message") is { Length: > 0 } message)
        {
            var type = headers.GetValueOrDefault("MT-Fault-ExceptionType");
            return Cut($"{(string.IsNullOrEmpty(type) ? "" : type + ": ")}{message}", 4000)!;
        }
        if (kind == "skipped")
        {
            return messageType is null
                ? $"the envelope names no messageType, so no consumer at {sourceQueue} takes it"
                : $"no consumer at {sourceQueue} takes {messageType}";
        }
        return collectorException is not null
            ? Cut($"unreadable message: {collectorException.GetType().Name}: {collectorException.Message}", 4000)!
            : $"moved to {queue} without a fault reason";
    }

    /// <summary>The envelope's message id, first message type and the message's request id, when the body is a MassTransit JSON envelope.</summary>
    static (string? MessageId, string? MessageType, string? RequestId) Peek(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return (null, null, null);
            string? Str(JsonElement e, string name) =>
                e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var type = root.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0
                ? types[0].GetString()
                : null;
            var requestId = root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object ? Str(message, "requestId") : null;
            return (Str(root, "messageId"), type, requestId);
        }
        catch (JsonException)
        {
            return (null, null, null);
        }
    }

    static string? Cut(string? text, int max) => text is null || text.Length <= max ? text : text[..max];

    public void Probe(ProbeContext context) => context.CreateFilterScope("recordDeadLetter");
}
