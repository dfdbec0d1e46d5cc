using Orchestrator.ServiceDefaults;

namespace Orchestrator.Tests.Bus;

public sealed class When_a_message_comes_through_an_exchange
{
    const string Queue = "inference-requests";
    const string Requested = "urn:message:Orchestrator.Contracts:InferenceRequested";
    const string Succeeded = "urn:message:Orchestrator.Contracts:AttemptSucceeded";

    [Fact]
    public void Should_take_it_as_the_type_of_its_exchange() =>
        Assert.Null(PublishedTypeFilter.Mismatch("Orchestrator.Contracts:InferenceRequested", Queue, [Requested]));

    [Fact]
    public void Should_refuse_a_type_the_exchange_does_not_carry() =>
        Assert.Equal("Orchestrator.Contracts:AttemptSucceeded",
            PublishedTypeFilter.Mismatch("Orchestrator.Contracts:InferenceRequested", Queue, [Succeeded]));

    [Fact]
    public void Should_refuse_an_envelope_that_names_a_second_type_beside_the_exchanges() =>
        Assert.Equal("Orchestrator.Contracts:AttemptSucceeded",
            PublishedTypeFilter.Mismatch("Orchestrator.Contracts:InferenceRequested", Queue, [Requested, Succeeded]));

    [Theory]
    [InlineData(Queue)]
    [InlineData("")]
    public void Should_take_what_was_sent_to_the_queue_itself_as_it_is(string exchange) =>
        Assert.Null(PublishedTypeFilter.Mismatch(exchange, Queue, [Succeeded]));
}
