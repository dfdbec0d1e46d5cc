namespace Orchestrator.Batches;

/// <summary>What the batch's query gives every line that does not set it itself.</summary>
/// <param name="Deadline">From <c>completionWindow</c>: the submission time plus the window.</param>
/// <param name="Priority">From <c>priority</c>.</param>
public sealed record BatchDefaults(DateTimeOffset? Deadline, int? Priority);
