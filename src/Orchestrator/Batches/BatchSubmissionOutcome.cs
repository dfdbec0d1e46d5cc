namespace Orchestrator.Batches;

/// <summary>What became of a batch submission.</summary>
public abstract record BatchSubmissionOutcome
{
    BatchSubmissionOutcome() { }

    /// <summary>Some lines are invalid (up to 100 listed, <paramref name="Invalid"/> in all); nothing was written.</summary>
    public sealed record Refused(IReadOnlyList<BatchLineError> Errors, int Invalid, int Lines) : BatchSubmissionOutcome;

    /// <summary>A new batch: every line's request is written and accepted, and their first attempts sent or held.</summary>
    public sealed record Accepted(BatchRecord Batch) : BatchSubmissionOutcome;

    /// <summary>The batch id exists: that batch answers, and nothing was written (a client's retry).</summary>
    public sealed record Existing(BatchRecord Batch) : BatchSubmissionOutcome;

    /// <summary>A line's request id is already taken by a request outside this batch; nothing was written.</summary>
    public sealed record Conflict(string Detail) : BatchSubmissionOutcome;
}
