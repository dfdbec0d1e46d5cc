using Orchestrator.Contracts;
using Orchestrator.Retries;
using Orchestrator.Submission;

namespace Orchestrator.Tests.Validation;

public sealed class InputGateSpecs
{
    static readonly ValidationOptions Options = new();
    static readonly RetryPolicyOptions Policy = new();

    static InferenceRequested Valid() => new()
    {
        RequestId = "req-1",
        Model = "sim",
        Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("Hello")] }],
    };

    static string Check(InferenceRequested request) => string.Join("; ", InputGate.Check(request, Options, Policy));

    [Fact]
    public void Should_pass_a_valid_request() => Assert.Empty(InputGate.Check(Valid(), Options, Policy));

    public static TheoryData<string, Func<InferenceRequested, InferenceRequested>, string> BadRequests => new()
    {
        { "empty messages", r => r with { Messages = [] }, "messages: at least one message is required" },
        { "bad role", r => r with { Messages = [new ChatMessage { Role = "robot", Content = [ContentPart.FromText("x")] }] }, "messages[0].role" },
        { "oversized text", r => r with { Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText(new string('x', 100_001))] }] }, "at most 100000 are allowed" },
        { "unknown model", r => r with { Model = "gpt-x" }, "unknown model 'gpt-x'" },
        { "bad request id", r => r with { RequestId = "bad id" }, "requestId: requestId may contain only" },
        { "temperature", r => r with { Parameters = new GenerationParameters { Temperature = 2.5 } }, "temperature must be between 0 and 2" },
        { "topP zero", r => r with { Parameters = new GenerationParameters { TopP = 0 } }, "topP must be greater than 0" },
        { "maxTokens", r => r with { Parameters = new GenerationParameters { MaxTokens = 40_000 } }, "maxTokens must be between 1 and 32768" },
        { "http image", r => r with { Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("x"), ContentPart.FromImageUrl("http://example.com/a.png")] }] }, "must be https:// or a data: URL" },
        { "bad mime", r => r with { Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("x"), ContentPart.FromImageUrl("data:image/svg+xml;base64,AAAA")] }] }, "image type 'image/svg+xml' is not allowed" },
        { "nothing to say", r => r with { Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("")] }] }, "messages: the messages hold no text and no image" },
        { "image in a system message", r => r with { Messages = [new ChatMessage { Role = "system", Content = [ContentPart.FromImageUrl("https://example.com/a.png")] }, new ChatMessage { Role = "user", Content = [ContentPart.FromText("x")] }] }, "messages[0].content[0]: image parts are allowed in user messages only (this one is system)" },
        { "unknown detail", r => r with { Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromImageUrl("https://example.com/a.png", "ultra")] }] }, "messages[0].content[0].image_url.detail: detail must be auto, low or high (got 'ultra')" },
        { "text part with an image", r => r with { Messages = [new ChatMessage { Role = "user", Content = [new ContentPart { Type = "text", Text = "x", ImageUrl = "https://example.com/a.png" }] }] }, "messages[0].content[0].image_url: a text part has no image_url" },
        { "image part with text", r => r with { Messages = [new ChatMessage { Role = "user", Content = [new ContentPart { Type = "image_url", Text = "x", ImageUrl = "https://example.com/a.png" }] }] }, "messages[0].content[0].text: an image part has no text" },
        { "presence penalty", r => r with { Parameters = new GenerationParameters { PresencePenalty = 2.5 } }, "presencePenalty: presencePenalty must be between -2 and 2 (got 2.5)" },
        { "frequency penalty", r => r with { Parameters = new GenerationParameters { FrequencyPenalty = double.NaN } }, "frequencyPenalty: frequencyPenalty must be between -2 and 2 (got NaN)" },
        { "first retry delay above the server's maximum", r => r with { Retry = new RetryPolicyOverride { InitialIntervalMs = 120_000 } }, "retry.initialIntervalMs: retry.initialIntervalMs must be at most the maximum interval, 60000 ms (the server's Orchestrator:Retry:MaximumInterval; retry.maximumIntervalMs raises it up to 3600000 ms) (got 120000)" },
        { "first retry delay above the request's maximum", r => r with { Retry = new RetryPolicyOverride { InitialIntervalMs = 5_000, MaximumIntervalMs = 2_000 } }, "retry.initialIntervalMs: retry.initialIntervalMs must be at most the maximum interval, 2000 ms (retry.maximumIntervalMs) (got 5000)" },
        { "first retry delay above the server's cap", r => r with { Retry = new RetryPolicyOverride { InitialIntervalMs = 4_000_000, MaximumIntervalMs = 5_000_000 } }, "retry.initialIntervalMs: retry.initialIntervalMs must be at most the maximum interval, 3600000 ms (the server's cap, Orchestrator:Retry:MaximumIntervalCap) (got 4000000)" },
        { "bad part type", r => r with { Messages = [new ChatMessage { Role = "user", Content = [new ContentPart { Type = "audio" }] }] }, "part type must be 'text' or 'image_url'" },
        { "priority zero", r => r with { Priority = 0 }, "priority: must be between 1 and 5 (got 0)" },
        { "priority six", r => r with { Priority = 6 }, "priority: must be between 1 and 5 (got 6)" },
        { "priority negative", r => r with { Priority = -1 }, "priority: must be between 1 and 5 (got -1)" },
        { "priority nine", r => r with { Priority = 9 }, "priority: must be between 1 and 5 (got 9)" },
        { "negative retry delay", r => r with { Retry = new RetryPolicyOverride { InitialIntervalMs = -1 } }, "retry.initialIntervalMs: retry.initialIntervalMs must be at least 0 (got -1)" },
        { "shrinking backoff", r => r with { Retry = new RetryPolicyOverride { BackoffCoefficient = 0.5 } }, "retry.backoffCoefficient: retry.backoffCoefficient must be a finite number, at least 1 (got 0.5)" },
        { "NaN backoff", r => r with { Retry = new RetryPolicyOverride { BackoffCoefficient = double.NaN } }, "retry.backoffCoefficient: retry.backoffCoefficient must be a finite number, at least 1 (got NaN)" },
        { "negative attempts", r => r with { Retry = new RetryPolicyOverride { MaximumAttempts = -2 } }, "retry.maximumAttempts: retry.maximumAttempts must be at least 0" },
        { "negative maximum delay", r => r with { Retry = new RetryPolicyOverride { MaximumIntervalMs = -10 } }, "retry.maximumIntervalMs: retry.maximumIntervalMs must be at least 0 (got -10)" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Should_refuse_bad_input_with_a_specific_reason(string name, Func<InferenceRequested, InferenceRequested> change, string reason)
    {
        var problems = Check(change(Valid()));
        Assert.True(problems.Contains(reason, StringComparison.Ordinal), $"{name}: expected '{reason}' in '{problems}'");
    }

    [Fact]
    public void Should_accept_https_and_png_data_images()
    {
        var request = Valid() with
        {
            Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("what is this?"), ContentPart.FromImageUrl("https://example.com/a.png"), ContentPart.FromImageUrl("data:image/png;base64,iVBORw0KGgo=")] }],
        };
        Assert.Empty(InputGate.Check(request, Options, Policy));
    }

    [Fact]
    public void Should_name_the_setting_when_options_are_bad() =>
        Assert.Contains("Orchestrator:Validation:MaxTextCharacters", new ValidationOptions { MaxTextCharacters = 0 }.Problem(), StringComparison.Ordinal);
}
