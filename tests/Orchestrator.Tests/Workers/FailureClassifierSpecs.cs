using System.Net.Sockets;
using Orchestrator.Contracts;
using Orchestrator.Workers.ModelClient;

namespace Orchestrator.Tests.Workers;

public sealed class FailureClassifierSpecs
{
    [Theory]
    [InlineData(429, FailureKind.Transient)]
    [InlineData(408, FailureKind.Transient)]
    [InlineData(500, FailureKind.Transient)]
    [InlineData(502, FailureKind.Transient)]
    [InlineData(503, FailureKind.Transient)]
    [InlineData(504, FailureKind.Transient)]
    [InlineData(400, FailureKind.Permanent)]
    [InlineData(404, FailureKind.Permanent)]
    [InlineData(422, FailureKind.Permanent)]
    public void Should_classify_http_statuses(int status, FailureKind kind) => Assert.Equal(kind, FailureClassifier.FromStatus(status));

    [Fact]
    public void Should_classify_a_refused_connection_as_transient()
    {
        var (kind, reason) = FailureClassifier.FromException(
            new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused)), "sim");
        Assert.Equal(FailureKind.Transient, kind);
        Assert.Equal("connection to sim refused", reason);
    }

    [Fact]
    public void Should_classify_a_malformed_body_as_transient() =>
        Assert.Equal(FailureKind.Transient, FailureClassifier.FromException(new System.Text.Json.JsonException("bad"), "sim").Kind);

    [Fact]
    public void Should_score_confidence_as_the_geometric_mean_probability()
    {
        Assert.Null(ConfidenceScorer.FromLogprobs([]));
        Assert.Equal(0.5, ConfidenceScorer.FromLogprobs([Math.Log(0.5), Math.Log(0.5)])!.Value, 6);
        Assert.Equal(Math.Sqrt(0.9 * 0.1), ConfidenceScorer.FromLogprobs([Math.Log(0.9), Math.Log(0.1)])!.Value, 6);
    }
}
