namespace Orchestrator.Submission;

/// <summary>
/// A message that cannot be tied to any request (no request id): retrying cannot help, so it goes straight to the
/// endpoint's <c>_error</c> queue with this reason.
/// </summary>
public sealed class UncorrelatableMessageException : Exception
{
    public UncorrelatableMessageException() : base("the message has no requestId") { }

    public UncorrelatableMessageException(string message) : base(message) { }

    public UncorrelatableMessageException(string message, Exception innerException) : base(message, innerException) { }
}
