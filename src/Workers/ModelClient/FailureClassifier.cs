using System.Net;
using System.Net.Sockets;
using Orchestrator.Contracts;

namespace Orchestrator.Workers.ModelClient;

/// <summary>
/// Decides from what the endpoint did whether retrying can help. Pure: no I/O, unit-tested alone.
/// </summary>
public static class FailureClassifier
{
    /// <summary>The kind of an HTTP error status.</summary>
    public static FailureKind FromStatus(int status) => status switch
    {
        (int)HttpStatusCode.TooManyRequests => FailureKind.Transient,
        (int)HttpStatusCode.RequestTimeout => FailureKind.Transient,
        >= 500 => FailureKind.Transient,
        _ => FailureKind.Permanent,
    };

    /// <summary>The kind and a readable reason for an exception thrown by the call.</summary>
    public static (FailureKind Kind, string Reason) FromException(Exception exception, string endpoint) => exception switch
    {
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } =>
            (FailureKind.Transient, $"connection to {endpoint} refused"),
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } =>
            (FailureKind.Transient, $"could not connect to {endpoint}: {exception.Message}"),
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } =>
            (FailureKind.Transient, $"{endpoint} closed the connection before answering"),
        HttpRequestException or IOException =>
            (FailureKind.Transient, $"connection to {endpoint} failed: {exception.Message}"),
        System.Text.Json.JsonException =>
            (FailureKind.Transient, $"malformed response from {endpoint}: {exception.Message}"),
        _ => (FailureKind.Transient, $"call to {endpoint} failed: {exception.GetType().Name}: {exception.Message}"),
    };
}
