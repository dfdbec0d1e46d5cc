namespace Orchestrator.Submission;

/// <summary>One refused field: <c>messages[2].content[0].image_url</c> and why.</summary>
public sealed record FieldError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}
