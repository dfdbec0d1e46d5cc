using System.Net.Mime;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Orchestrator.Contracts;

namespace Orchestrator.Submission;

/// <summary>
/// The saga endpoint's deserializer: MassTransit's JSON envelope, read as MassTransit reads it, with two differences.
/// An <see cref="InferenceRequested"/> is read by <see cref="RequestReader"/>, as the API reads its body, so every
/// message that names a request becomes one (its problems end it Failed with <see cref="FailureKind.InvalidInput"/>
/// in the saga's admission). And a body that names no request (not JSON, not an envelope, no <c>message</c>, no
/// readable request id) fails with an <see cref="UncorrelatableMessageException"/> whose message says what was missing:
/// the <c>_error</c> queue's fault reason, and the dead letter's.
/// </summary>
/// <remarks>
/// Why here: MassTransit reads the envelope when a message arrives and each message type lazily, when a consumer of
/// it asks; an exception there never reaches the saga, and a converter on the bus's JSON options could not tell the
/// saga what it refused. Reading the request here keeps the bus's options as MassTransit ships them, for every other
/// message and endpoint, and changes only the one endpoint that takes requests.
/// </remarks>
public sealed class RequestMessageDeserializer : IMessageDeserializer
{
    static readonly string[] IdFields = ["messageId", "requestId", "correlationId", "conversationId", "initiatorId"];
    static readonly string[] AddressFields = ["sourceAddress", "destinationAddress", "responseAddress", "faultAddress"];

    static JsonSerializerOptions Options => SystemTextJsonMessageSerializer.Options;

    public ContentType ContentType => SystemTextJsonMessageSerializer.JsonContentType;

    public ConsumeContext Deserialize(ReceiveContext receiveContext) =>
        new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null)
    {
        JsonElement element;
        MessageEnvelope? envelope;
        try
        {
            element = body is JsonMessageBody json ? json.GetJsonElement(Options) ?? default : JsonSerializer.Deserialize<JsonElement>(body.GetBytes(), Options);
        }
        catch (JsonException exception)
        {
            throw new UncorrelatableMessageException($"the body is not JSON: {exception.Message}");
        }
        if (element.ValueKind != JsonValueKind.Object)
            throw new UncorrelatableMessageException($"the body is {Kind(element)}, not a MassTransit envelope {{\"messageType\":[...],\"message\":{{...}}}}");
        try
        {
            envelope = element.Deserialize<MessageEnvelope>(Options);
        }
        catch (JsonException exception)
        {
            throw new UncorrelatableMessageException(EnvelopeProblem(element, exception));
        }
        if (envelope?.Message is null or JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined })
            throw new UncorrelatableMessageException("the envelope has no \"message\": the request's fields go under \"message\" (docs/reference/messages.md)");
        if (ValueProblem(envelope) is { } problem)
            throw new UncorrelatableMessageException(problem);

        return new RequestSerializerContext(Options, ContentType, new EnvelopeMessageContext(envelope, SystemTextJsonMessageSerializer.Instance),
            envelope.MessageType ?? [], envelope);
    }

    public MessageBody GetMessageBody(string text) => new StringMessageBody(text);

    public void Probe(ProbeContext context)
    {
        var scope = context.CreateScope("json");
        scope.Add("contentType", ContentType.MediaType);
        scope.Add("provider", "System.Text.Json, requests read by RequestReader");
    }

    /// <summary>
    /// MassTransit parses the envelope's ids and addresses only when something asks for them, deep in the pipeline;
    /// checked here, a bad one is refused with its name.
    /// </summary>
    static string? ValueProblem(MessageEnvelope envelope)
    {
        string?[] ids = [envelope.MessageId, envelope.RequestId, envelope.CorrelationId, envelope.ConversationId, envelope.InitiatorId];
        for (var i = 0; i < ids.Length; i++)
        {
            if (!string.IsNullOrWhiteSpace(ids[i]) && !Guid.TryParse(ids[i], out _))
            {
                return $"the envelope's {IdFields[i]} must be a GUID (got '{Cut(ids[i]!)}')" +
                    (i == 1 ? "; it is MassTransit's request/response id: put the request's own requestId inside \"message\"" : "");
            }
        }
        string?[] addresses = [envelope.SourceAddress, envelope.DestinationAddress, envelope.ResponseAddress, envelope.FaultAddress];
        for (var i = 0; i < addresses.Length; i++)
        {
            if (!string.IsNullOrWhiteSpace(addresses[i]) && !Uri.TryCreate(addresses[i], UriKind.Absolute, out _))
                return $"the envelope's {AddressFields[i]} must be an absolute URI (got '{Cut(addresses[i]!)}')";
        }
        return null;
    }

    static string EnvelopeProblem(JsonElement envelope, JsonException exception)
    {
        // Path "$.messageId": name the field and what it held, not the converter's words.
        var path = exception.Path;
        if (path is { Length: > 2 } && path.StartsWith("$.", StringComparison.Ordinal) && path.IndexOfAny(['.', '['], 2) < 0)
        {
            var name = path[2..];
            var value = envelope.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
            var expected = name.ToLowerInvariant() switch
            {
                "messagetype" => "an array of message type URNs",
                "headers" or "host" => "an object",
                _ => "a string",
            };
            return $"the envelope's {name} must be {expected} (got {Kind(value)})";
        }
        return $"the envelope cannot be read{(path is null ? "" : $" at {path}")}: {exception.Message}";
    }

    static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    static string Cut(string text) => text.Length > 60 ? text[..60] + "…" : text;

    /// <summary>MassTransit's context for the envelope, with the request read by <see cref="RequestReader"/>.</summary>
    sealed class RequestSerializerContext(JsonSerializerOptions options, ContentType contentType, MessageContext messageContext,
        string[] messageTypes, MessageEnvelope envelope)
        : SystemTextJsonSerializerContext(SystemTextJsonMessageSerializer.Instance, options, contentType, messageContext, messageTypes, envelope)
    {
        InferenceRequested? _request;

        public override bool TryGetMessage<T>(out T? message)
            where T : class
        {
            if (typeof(T) == typeof(InferenceRequested) && IsSupportedMessageType<T>())
            {
                message = (T)(object)Request();
                return true;
            }
            return base.TryGetMessage(out message);
        }

        public override bool TryGetMessage(Type messageType, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out object? message)
        {
            if (messageType == typeof(InferenceRequested) && IsSupportedMessageType(messageType))
            {
                message = Request();
                return true;
            }
            return base.TryGetMessage(messageType, out message);
        }

        InferenceRequested Request()
        {
            if (_request is not null)
                return _request;
            var (request, unnamed) = RequestReader.ReadMessage(Message is JsonElement element ? element : default);
            return _request = request ?? throw new UncorrelatableMessageException(unnamed!);
        }
    }
}
