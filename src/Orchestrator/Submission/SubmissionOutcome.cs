using Orchestrator.StateMachines;

namespace Orchestrator.Submission;

/// <summary>What became of a submission.</summary>
public abstract record SubmissionOutcome
{
    SubmissionOutcome() { }

    /// <summary>The input is refused; nothing was written.</summary>
    public sealed record Refused(IReadOnlyList<FieldError> Errors) : SubmissionOutcome;

    /// <summary>A new request: its row is written, accepted, and its first attempt sent or held.</summary>
    public sealed record Accepted(InferenceRequestState Request) : SubmissionOutcome;

    /// <summary>The id exists with the same payload: that request answers (a client's retry).</summary>
    public sealed record Existing(InferenceRequestState Request) : SubmissionOutcome;

    /// <summary>The id exists with another payload; nothing was written.</summary>
    public sealed record Conflict(InferenceRequestState Request) : SubmissionOutcome;
}
