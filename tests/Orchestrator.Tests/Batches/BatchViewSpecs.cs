using Orchestrator.Batches;

namespace Orchestrator.Tests.Batches;

/// <summary>A batch's state is read from its requests: finished only when every one is Succeeded, Failed or Cancelled.</summary>
public sealed class BatchViewSpecs
{
    static readonly DateTime Created = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
    static readonly DateTime Last = Created.AddMinutes(5);

    static BatchView View(Dictionary<string, int> counts, DateTime? cancelledAt = null) =>
        BatchView.From(new BatchRecord { Id = "b", CreatedAt = Created, Total = counts.Values.Sum(), CancelledAt = cancelledAt },
            new BatchView.Progress(counts, Last));

    [Theory]
    [InlineData("AwaitingReview")]
    [InlineData("Paused")]
    [InlineData("RetryScheduled")]
    [InlineData("Pending")]
    public void Should_be_in_progress_while_any_request_has_not_finished(string waiting)
    {
        var view = View(new() { ["Succeeded"] = 9, [waiting] = 1 });

        Assert.Equal((BatchView.InProgress, (DateTime?)null), (view.State, view.CompletedAt));
        Assert.Equal(1, view.Counts[waiting]);
        Assert.Equal(8, view.Counts.Count);
    }

    [Fact]
    public void Should_be_completed_when_its_last_request_finished_whatever_their_outcomes()
    {
        var view = View(new() { ["Succeeded"] = 2, ["Failed"] = 1, ["Cancelled"] = 1 });

        Assert.Equal((BatchView.Completed, (DateTime?)Last), (view.State, view.CompletedAt));
    }

    [Fact]
    public void Should_be_cancelled_once_finished_after_an_operator_cancelled_it()
    {
        Assert.Equal(BatchView.Cancelled, View(new() { ["Succeeded"] = 1, ["Cancelled"] = 2 }, cancelledAt: Last).State);
        Assert.Equal(BatchView.InProgress, View(new() { ["Processing"] = 1, ["Cancelled"] = 2 }, cancelledAt: Last).State);
    }
}
