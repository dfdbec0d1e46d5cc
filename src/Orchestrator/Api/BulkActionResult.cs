namespace Orchestrator.Api;

/// <summary>
/// The answer of a bulk action. <see cref="Matched"/> counts every request the filter matches; <see cref="Accepted"/>
/// those the action was sent to (or, in a dry run, would be); <see cref="Skipped"/> the rest, whose state does not
/// allow it; <see cref="More"/> is true when more than one call's worth was eligible (run it again).
/// </summary>
public sealed record BulkActionResult(string Action, bool DryRun, int Matched, int Accepted, int Skipped, bool More);
