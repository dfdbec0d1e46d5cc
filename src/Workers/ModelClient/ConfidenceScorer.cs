namespace Orchestrator.Workers.ModelClient;

/// <summary>The confidence score of an answer: the geometric mean of its tokens' probabilities.</summary>
public static class ConfidenceScorer
{
    /// <summary>exp(mean(logprob)); null when there are no log-probabilities to score.</summary>
    public static double? FromLogprobs(IReadOnlyCollection<double> logprobs)
    {
        if (logprobs.Count == 0)
            return null;
        var mean = logprobs.Average();
        return double.IsFinite(mean) ? Math.Clamp(Math.Exp(mean), 0, 1) : 0;
    }
}
