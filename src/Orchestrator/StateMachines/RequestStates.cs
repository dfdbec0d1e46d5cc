namespace Orchestrator.StateMachines;

/// <summary>The state names exactly as the API, the database and the CLI spell them.</summary>
public static class RequestStates
{
    public const string Pending = nameof(Pending);
    public const string Processing = nameof(Processing);
    public const string RetryScheduled = nameof(RetryScheduled);
    public const string AwaitingReview = nameof(AwaitingReview);
    public const string Paused = nameof(Paused);
    public const string Succeeded = nameof(Succeeded);
    public const string Failed = nameof(Failed);
    public const string Cancelled = nameof(Cancelled);

    public static readonly IReadOnlyList<string> All =
        [Pending, Processing, RetryScheduled, AwaitingReview, Paused, Succeeded, Failed, Cancelled];

    public static bool IsTerminal(string? state) => state is Succeeded or Failed or Cancelled;

    /// <summary>The canonical spelling of a state name given in any letter case, or null when unknown.</summary>
    public static string? Parse(string? value) =>
        All.FirstOrDefault(s => string.Equals(s, value, StringComparison.OrdinalIgnoreCase));
}
