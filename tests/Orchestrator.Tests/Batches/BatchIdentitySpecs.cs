using Orchestrator.Batches;
using Orchestrator.Submission;

namespace Orchestrator.Tests.Batches;

public sealed class BatchIdentitySpecs
{
    [Fact]
    public void Should_join_batch_id_and_custom_id_when_that_is_a_valid_request_id() =>
        Assert.Equal("batch-7:request-1", BatchIdentity.RequestId("batch-7", "request-1"));

    [Theory]
    [InlineData("b", "has spaces and ünïcode")]
    [InlineData("b", ":looks-hashed")]
    [InlineData("b", "x")]
    [InlineData("a-batch-id-of-the-longest-length-allowed-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "request-1")]
    public void Should_derive_a_valid_stable_request_id_for_any_custom_id(string batchId, string customId)
    {
        if (customId == "x")
            customId = new string('x', 500);
        var id = BatchIdentity.RequestId(batchId, customId);

        Assert.True(RequestIdentity.IsValid(id), id);
        Assert.True(id.Length <= RequestIdentity.MaxLength);
        Assert.Equal(id, BatchIdentity.RequestId(batchId, customId));
        Assert.NotEqual(id, BatchIdentity.RequestId(batchId, customId + "2"));
        Assert.NotEqual(id, BatchIdentity.RequestId(batchId + "2", customId));
    }

    [Fact]
    public void Should_tell_apart_long_custom_ids_that_share_a_prefix()
    {
        var a = BatchIdentity.RequestId("b", new string('x', 200) + "a");
        var b = BatchIdentity.RequestId("b", new string('x', 200) + "b");

        Assert.NotEqual(a, b);
        Assert.StartsWith("b::", a, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_each_completion_of_a_batch_with_its_own_stable_message_id()
    {
        Assert.Equal(BatchIdentity.CompletionMessageId("b", 1), BatchIdentity.CompletionMessageId("b", 1));
        Assert.NotEqual(BatchIdentity.CompletionMessageId("b", 1), BatchIdentity.CompletionMessageId("b", 2));
        Assert.NotEqual(BatchIdentity.CompletionMessageId("b", 1), BatchIdentity.CompletionMessageId("c", 1));
    }

    [Fact]
    public void Should_give_each_completion_callback_its_own_stable_webhook_id()
    {
        var created = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
        var batch = new BatchRecord { Id = "b", CreatedAt = created };
        var id = BatchIdentity.CompletionEventId(batch, 1);

        Assert.Matches("^evt_[0-9a-f]{32}$", id);
        Assert.Equal(id, BatchIdentity.CompletionEventId(new BatchRecord { Id = "b", CreatedAt = created }, 1));
        Assert.NotEqual(id, BatchIdentity.CompletionEventId(batch, 2));
        // The same id used again after retention is another batch.
        Assert.NotEqual(id, BatchIdentity.CompletionEventId(new BatchRecord { Id = "b", CreatedAt = created.AddDays(40) }, 1));
    }

    [Fact]
    public void Should_key_a_batchs_callback_events_apart_from_any_request_of_the_same_id()
    {
        Assert.Equal(BatchIdentity.CallbackKey("b-1"), BatchIdentity.CallbackKey("b-1"));
        Assert.NotEqual(BatchIdentity.CallbackKey("b-1"), BatchIdentity.CallbackKey("b-2"));
        Assert.NotEqual(RequestIdentity.ToCorrelationId("b-1"), BatchIdentity.CallbackKey("b-1"));
    }

    [Fact]
    public void Should_refuse_a_batch_id_a_request_id_could_not_be()
    {
        Assert.Null(BatchIdentity.Problem("batch-1"));
        Assert.Contains("Idempotency-Key", BatchIdentity.Problem("has space"), StringComparison.Ordinal);
        Assert.NotNull(BatchIdentity.Problem(new string('b', 129)));
    }
}
