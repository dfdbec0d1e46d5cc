using Orchestrator.Submission;

namespace Orchestrator.Tests.Validation;

public sealed class RequestIdentitySpecs
{
    [Fact]
    public void Should_compute_the_RFC_version_5_uuid()
    {
        // The RFC 9562 / Python uuid.uuid5(NAMESPACE_DNS, "www.example.com") vector.
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), RequestIdentity.NameBased(dns, "www.example.com"));
    }

    [Fact]
    public void Should_map_the_same_id_to_the_same_saga_and_other_ids_elsewhere()
    {
        Assert.Equal(RequestIdentity.ToCorrelationId("req-001"), RequestIdentity.ToCorrelationId("req-001"));
        Assert.NotEqual(RequestIdentity.ToCorrelationId("req-001"), RequestIdentity.ToCorrelationId("req-002"));
        Assert.NotEqual(RequestIdentity.ToCorrelationId("req-001"), RequestIdentity.OutcomeMessageId("req-001", 1));
        Assert.NotEqual(RequestIdentity.OutcomeMessageId("req-001", 1), RequestIdentity.OutcomeMessageId("req-001", 2));
    }

    [Theory]
    [InlineData("req-001")]
    [InlineData("a")]
    [InlineData("tenant:42.job_7-x")]
    public void Should_accept_valid_ids(string id) => Assert.Null(RequestIdentity.Problem(id));

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("req 001", "may contain only")]
    [InlineData("req/001", "may contain only")]
    [InlineData("réq", "may contain only")]
    public void Should_refuse_bad_ids_with_a_reason(string id, string reason) =>
        Assert.Contains(reason, RequestIdentity.Problem(id), StringComparison.Ordinal);

    [Fact]
    public void Should_refuse_ids_over_128_characters()
    {
        Assert.Null(RequestIdentity.Problem(new string('a', 128)));
        Assert.Contains("at most 128", RequestIdentity.Problem(new string('a', 129)), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_to_correlate_a_message_without_an_id() =>
        Assert.Throws<UncorrelatableMessageException>(() => RequestIdentity.ToCorrelationId(null));
}
