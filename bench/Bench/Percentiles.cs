namespace Orchestrator.Bench;

public static class Percentiles
{
    /// <summary>Nearest-rank percentile, rounded to 0.1; null for no samples.</summary>
    public static double? Of(IReadOnlyCollection<double> samples, double quantile)
    {
        if (samples.Count == 0)
            return null;
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(quantile * sorted.Length) - 1;
        return Math.Round(sorted[Math.Clamp(rank, 0, sorted.Length - 1)], 1);
    }
}
