namespace Orchestrator.ServiceDefaults;

/// <summary>
/// A message came through an exchange of another message type (<see cref="PublishedTypeFilter"/>): it is refused, to
/// the endpoint's <c>_error</c> queue, with this message as the reason.
/// </summary>
public sealed class MisroutedMessageException : Exception
{
    public MisroutedMessageException() : base("the message arrived through an exchange of another message type") { }

    public MisroutedMessageException(string message) : base(message) { }

    public MisroutedMessageException(string message, Exception innerException) : base(message, innerException) { }
}
