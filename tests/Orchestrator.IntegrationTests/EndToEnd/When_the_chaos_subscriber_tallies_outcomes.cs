using System.Text;
using System.Text.Json;
using Orchestrator.Chaos;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// The chaos run's <c>duplicateTerminal</c> and <c>redeliveries</c>, from what its independent subscriber receives:
/// a second, different terminal message for one (request, run) is a duplicate, the same message again is a redelivery.
/// </summary>
public sealed class When_the_chaos_subscriber_tallies_outcomes
{
    const string Prefix = "chaos-test-";
    const string Succeeded = "Orchestrator.Contracts:InferenceSucceeded";
    const string Failed = "Orchestrator.Contracts:InferenceFailed";

    // As MassTransit wraps a message: transport headers around the message; the MessageId names the run.
    static byte[] Envelope(string messageId, object message, string sentTime = "2026-01-01T00:00:00Z") =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            messageId,
            conversationId = Guid.NewGuid().ToString(),
            sentTime,
            headers = new { },
            message,
        }));

    static object Success(string requestId, string output) =>
        new { requestId, output, attempts = 1, completedAt = "2026-01-01T00:00:00Z" };

    [Fact]
    public void Should_count_a_second_terminal_message_with_different_content_as_a_duplicate()
    {
        var tally = new OutcomeTally(Prefix);
        tally.Record(Succeeded, Envelope("run-1", Success("chaos-test-1", "first answer")));
        tally.Record(Succeeded, Envelope("run-1", Success("chaos-test-1", "second answer")));

        Assert.Equal(1, tally.DuplicateTerminal);
        Assert.Equal(0, tally.Redeliveries);
        Assert.Equal(2, tally.Deliveries);
    }

    [Fact]
    public void Should_count_a_second_terminal_message_of_another_kind_as_a_duplicate()
    {
        var tally = new OutcomeTally(Prefix);
        tally.Record(Succeeded, Envelope("run-1", Success("chaos-test-1", "an answer")));
        tally.Record(Failed, Envelope("run-1", new { requestId = "chaos-test-1", reason = "failed", attempts = 1 }));

        Assert.Equal(1, tally.DuplicateTerminal);
        Assert.Equal("InferenceFailed+InferenceSucceeded", tally.ByRequest["chaos-test-1"].Snapshot().Kinds);
    }

    [Fact]
    public void Should_count_the_same_message_again_as_a_redelivery_only()
    {
        var tally = new OutcomeTally(Prefix);
        tally.Record(Succeeded, Envelope("run-1", Success("chaos-test-1", "an answer")));
        // Delivered again, with other transport headers (sent later, another conversation): the same message.
        tally.Record(Succeeded, Envelope("run-1", Success("chaos-test-1", "an answer"), sentTime: "2026-01-01T00:00:09Z"));
        tally.Record(Succeeded, Envelope("run-1", Success("chaos-test-1", "an answer")));

        Assert.Equal(0, tally.DuplicateTerminal);
        Assert.Equal(2, tally.Redeliveries);
        Assert.Equal(3, tally.Deliveries);
    }

    [Fact]
    public void Should_keep_runs_and_requests_apart()
    {
        var tally = new OutcomeTally(Prefix);
        tally.Record(Succeeded, Envelope("run-1", Success("chaos-test-1", "an answer")));
        tally.Record(Succeeded, Envelope("run-2", Success("chaos-test-1", "the answer of a later run")));
        tally.Record(Succeeded, Envelope("run-9", Success("chaos-test-2", "another request")));
        tally.Record(Succeeded, Envelope("run-7", Success("another-run-1", "not this run's")));
        tally.Record(Succeeded, Encoding.UTF8.GetBytes("not json"));

        Assert.Equal(0, tally.DuplicateTerminal);
        Assert.Equal(0, tally.Redeliveries);
        Assert.Equal(3, tally.Deliveries);
        Assert.Equal(2, tally.ByRequest["chaos-test-1"].Snapshot().Runs);
        Assert.Equal(1, tally.Unreadable);
    }
}
