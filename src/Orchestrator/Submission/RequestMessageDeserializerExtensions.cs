using System.Net.Mime;
using MassTransit;
using MassTransit.Serialization;

namespace Orchestrator.Submission;

/// <summary>Puts <see cref="RequestMessageDeserializer"/> on a receive endpoint.</summary>
public static class RequestMessageDeserializerExtensions
{
    /// <summary>
    /// The endpoint reads MassTransit's JSON envelope with <see cref="RequestMessageDeserializer"/>, whatever content
    /// type a message carries (raw AMQP publishers do not always set one).
    /// </summary>
    public static void UseRequestMessageDeserializer(this IReceiveEndpointConfigurator endpoint) =>
        endpoint.AddDeserializer(new Factory(), isDefault: true);

    sealed class Factory : ISerializerFactory
    {
        public ContentType ContentType => SystemTextJsonMessageSerializer.JsonContentType;

        public IMessageSerializer CreateSerializer() => new SystemTextJsonMessageSerializer();

        public IMessageDeserializer CreateDeserializer() => new RequestMessageDeserializer();
    }
}
