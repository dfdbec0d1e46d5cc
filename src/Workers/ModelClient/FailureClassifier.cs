using System.Net.Sockets;
using Orchestrator.Contracts;

namespace Orchestrator.Workers.ModelClient;

/// <summary>
/// Decides from what the endpoint did whether retrying can help, and names the cause that retry overrides key on.
/// Pure: no I/O, unit-tested alone. The status mapping is configuration (<see cref="ClassificationOptions"/>).
/// </summary>
public sealed class FailureClassifier(ClassificationOptions options)
{
    public static readonly FailureClassifier Default = new(new ClassificationOptions());

    /// <summary>The kind of an HTTP error status, and its cause key <c>http-&lt;status&gt;</c>.</summary>
    public (FailureKind Kind, string Cause) FromStatus(int status)
    {
        var cause = $"http-{status}";
        if (options.Statuses.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var configured))
            return (configured, cause);
        return (status >= 500 ? FailureKind.Transient : FailureKind.Permanent, cause);
    }

    /// <summary>The kind, cause and a readable reason for an exception thrown by the call.</summary>
    public static (FailureKind Kind, string Cause, string Reason) FromException(Exception exception, string endpoint) => exception switch
    {
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } =>
            (FailureKind.Transient, "connect", $"connection to {endpoint} refused"),
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } =>
            (FailureKind.Transient, "connect", $"could not connect to {endpoint}: {exception.Message}"),
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } =>
            (FailureKind.Transient, "reset", $"{endpoint} closed the connection before answering"),
        HttpRequestException or IOException =>
            (FailureKind.Transient, "reset", $"connection to {endpoint} failed: {exception.Message}"),
        System.Text.Json.JsonException =>
            (FailureKind.Transient, "malformed", $"malformed response from {endpoint}: {exception.Message}"),
        _ => (FailureKind.Transient, "error", $"call to {endpoint} failed: {exception.GetType().Name}: {exception.Message}"),
    };
}
