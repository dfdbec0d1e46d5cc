using Orchestrator.ServiceDefaults;

namespace Orchestrator.StateMachines;

/// <summary>The output gate (section <c>Orchestrator:Review</c>).</summary>
public sealed class ReviewOptions : IValidatedOptions
{
    public const string SectionName = "Orchestrator:Review";

    /// <summary>
    /// Answers whose confidence (the geometric mean token probability) is below this go to the review queue
    /// (AwaitingReview) instead of Succeeded. 0 turns the gate off.
    /// </summary>
    public double ConfidenceThreshold { get; set; } = 0.5;

    /// <summary>Hold answers that carry no log-probabilities (no confidence) for review too.</summary>
    public bool RequireConfidence { get; set; }

    public string? Problem() =>
        ConfidenceThreshold is < 0 or > 1 || double.IsNaN(ConfidenceThreshold)
            ? $"{SectionName}:ConfidenceThreshold must be between 0 and 1 (got {ConfidenceThreshold})"
            : null;

    /// <summary>Null when the answer passes, else why it is held: the decision path operators read.</summary>
    public string? HoldReason(double? confidence) => confidence switch
    {
        null when RequireConfidence => "no confidence: the endpoint returned no log-probabilities, and Orchestrator:Review:RequireConfidence is on",
        { } c when c < ConfidenceThreshold => $"confidence {c:0.###} below the threshold {ConfidenceThreshold:0.###}",
        _ => null,
    };

    /// <summary>What the gate said about an answer that passed.</summary>
    public string PassReason(double? confidence) => confidence is { } c
        ? $"confidence {c:0.###} at or above the threshold {ConfidenceThreshold:0.###}"
        : "no confidence reported; not required";
}
