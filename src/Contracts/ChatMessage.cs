namespace Orchestrator.Contracts;

/// <summary>One message of the conversation sent to the model, in the OpenAI chat-completions shape.</summary>
public sealed record ChatMessage
{
    /// <summary><c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</summary>
    public required string Role { get; init; }

    /// <summary>The content as ordered parts: text and images. A plain string is one text part.</summary>
    public required IReadOnlyList<ContentPart> Content { get; init; }
}
