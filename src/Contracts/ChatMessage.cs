namespace Orchestrator.Contracts;

/// <summary>One message of the conversation sent to the model, in the OpenAI chat-completions shape.</summary>
public sealed record ChatMessage
{
    /// <summary><c>system</c>, <c>developer</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</summary>
    public required string Role { get; init; }

    /// <summary>
    /// The content as ordered parts: text and images (images in <c>user</c> messages only). On the wire
    /// <c>"content"</c> may be a plain string, which is one text part, or an array of parts.
    /// </summary>
    public required IReadOnlyList<ContentPart> Content { get; init; }
}
