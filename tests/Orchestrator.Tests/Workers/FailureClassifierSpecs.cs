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
    [InlineData(401, FailureKind.Transient)]
    [InlineData(403, FailureKind.Transient)]
    public void Should_classify_http_statuses(int status, FailureKind kind)
    {
        var (actual, cause) = FailureClassifier.Default.FromStatus(status);
        Assert.Equal(kind, actual);
        Assert.Equal($"http-{status}", cause);
    }

    [Fact]
    public void Should_let_configuration_override_a_status()
    {
        var classifier = new FailureClassifier(new ClassificationOptions { Statuses = { ["404"] = FailureKind.Transient } });
        Assert.Equal(FailureKind.Transient, classifier.FromStatus(404).Kind);
        Assert.Equal(FailureKind.Transient, classifier.FromStatus(401).Kind); // the defaults stay
    }

    [Fact]
    public void Should_name_the_setting_of_a_bad_status() =>
        Assert.Contains("Workers:Classification:Statuses:abc", new ClassificationOptions { Statuses = { ["abc"] = FailureKind.Transient } }.Problem(), StringComparison.Ordinal);

    [Fact]
    public void Should_classify_a_refused_connection_as_transient()
    {
        var (kind, cause, reason) = FailureClassifier.FromException(
            new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused)), "sim");
        Assert.Equal(FailureKind.Transient, kind);
        Assert.Equal("connect", cause);
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
