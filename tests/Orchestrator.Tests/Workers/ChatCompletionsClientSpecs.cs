using Orchestrator.Contracts;
using Orchestrator.SimulatedModel;
using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.ModelClient;

namespace Orchestrator.Tests.Workers;

/// <summary>The worker's model client against the real simulated server: answers, statuses and timeouts by stage.</summary>
public sealed class ChatCompletionsClientSpecs : IAsyncLifetime, IDisposable
{
    SimulatedModelServer _server = null!;
    readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public async Task InitializeAsync() => _server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _http.Dispose();

    EndpointOptions Endpoint(TimeSpan total, TimeSpan? headers = null) =>
        new() { Name = "sim", BaseUrl = _server.BaseAddress.ToString(), Timeout = total, HeadersTimeout = headers };

    static InvokeModel Invoke(string text) => new()
    {
        RequestId = $"client-{Guid.NewGuid():N}",
        Attempt = 1,
        Model = "sim",
        Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText(text)] }],
    };

    Task<ModelCallResult> Call(string text, EndpointOptions endpoint) =>
        new ChatCompletionsClient(_http, FailureClassifier.Default, Microsoft.Extensions.Logging.Abstractions.NullLogger<ChatCompletionsClient>.Instance).CallAsync(endpoint, Invoke(text), requestLogprobs: true, CancellationToken.None);

    [Fact]
    public async Task Should_return_the_answer_with_confidence_and_usage()
    {
        var result = await Call("Hello there", Endpoint(TimeSpan.FromSeconds(10)));
        Assert.True(result.Succeeded, result.Reason);
        Assert.StartsWith("Simulated answer", result.Output, StringComparison.Ordinal);
        Assert.Equal("Simulated answer to: Hello there", result.Output);
        // The simulated model's confident tokens have probabilities of 0.9 to 0.99; the score is their geometric mean.
        Assert.InRange(result.Confidence!.Value, 0.9, 0.99);
        // One token per word: "Hello there" in, "Simulated answer to: Hello there" out.
        Assert.Equal((2, 5), (result.Usage!.PromptTokens, result.Usage.CompletionTokens));
    }

    [Fact]
    public async Task Should_classify_a_503_as_transient_with_its_cause()
    {
        var result = await Call("[[sim: 503]]", Endpoint(TimeSpan.FromSeconds(10)));
        Assert.Equal((FailureKind.Transient, "http-503", 503), (result.FailureKind!.Value, result.Cause!, result.HttpStatus!.Value));
        Assert.StartsWith("HTTP 503 from sim", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_name_the_headers_stage_when_the_model_never_answers()
    {
        var result = await Call("[[sim: timeout]]", Endpoint(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(300)));
        Assert.Equal((FailureKind.Transient, "timeout"), (result.FailureKind!.Value, result.Cause!));
        Assert.Equal("sim timed out waiting for the response headers (headers timeout of 0.3 s)", result.Reason);
    }

    [Fact]
    public async Task Should_name_the_total_timeout_when_the_call_as_a_whole_is_too_slow()
    {
        var result = await Call("[[sim: slow:2000]]", Endpoint(TimeSpan.FromMilliseconds(300)));
        Assert.Equal("timeout", result.Cause);
        Assert.Contains("(total timeout of 0.3 s)", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_classify_a_dropped_connection_as_transient()
    {
        var result = await Call("[[sim: reset]]", Endpoint(TimeSpan.FromSeconds(10)));
        Assert.Equal(FailureKind.Transient, result.FailureKind);
        Assert.Equal("reset", result.Cause);
    }
}
