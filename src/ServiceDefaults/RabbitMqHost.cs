using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;

namespace Orchestrator.ServiceDefaults;

/// <summary>Where the broker is: the connection string <c>RabbitMQ</c>, an <c>amqp://</c> or <c>amqps://</c> URL.</summary>
public static class RabbitMqHost
{
    public const string ConnectionStringName = "RabbitMQ";

    /// <summary>
    /// The broker's URL; false, with a message that names the setting and how to set it, when
    /// <c>ConnectionStrings:RabbitMQ</c> is missing or not an amqp(s) URL. <c>requiredWhen</c> says why the broker is
    /// needed, for the message (e.g. "Orchestrator:Transport is RabbitMQ").
    /// </summary>
    public static bool TryGetUri(IConfiguration configuration, [NotNullWhen(true)] out Uri? uri, [NotNullWhen(false)] out string? problem,
        string? requiredWhen = null)
    {
        var value = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(value) && Uri.TryCreate(value, UriKind.Absolute, out uri) && uri.Scheme is "amqp" or "amqps")
        {
            problem = null;
            return true;
        }
        uri = null;
        problem = $"ConnectionStrings:{ConnectionStringName} must be an amqp:// URL{(requiredWhen is null ? "" : $" when {requiredWhen}")} " +
                  $"(got '{value}'); set ConnectionStrings__{ConnectionStringName}, e.g. amqp://user:pass@127.0.0.1:5672/";
        return false;
    }

    /// <summary>The broker's URL; throws <see cref="InvalidOperationException"/> with <see cref="TryGetUri"/>'s message when it is not one.</summary>
    public static Uri UriFrom(IConfiguration configuration, string? requiredWhen = null) =>
        TryGetUri(configuration, out var uri, out var problem, requiredWhen) ? uri : throw new InvalidOperationException(problem);
}
