using Orchestrator.Contracts;

namespace Orchestrator.Batches;

/// <summary>One line of a batch file as read: the request it becomes, or why it cannot.</summary>
/// <param name="Line">1-based.</param>
/// <param name="CustomId">The line's custom_id, when one could be read.</param>
/// <param name="Request">The request, when the line is valid.</param>
/// <param name="Error">Why the line is refused, when it is not.</param>
public sealed record BatchLine(int Line, string? CustomId, InferenceRequested? Request, string? Error);
