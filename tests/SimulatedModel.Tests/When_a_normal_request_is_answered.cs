using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SimulatedModel.Tests;

public sealed class When_a_normal_request_is_answered(SimulatedModelFixture fixture) : IClassFixture<SimulatedModelFixture>
{
    [Fact]
    public async Task Should_return_the_openai_completion_shape_with_usage()
    {
        var body = Chat.Body("What is the capital of France?");
        body["messages"]!.AsArray().Insert(0, new JsonObject { ["role"] = "system", ["content"] = "You are terse." });

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var completion = await Chat.AnswerAsync(fixture.Client, body);
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.StartsWith("chatcmpl-", completion.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        Assert.InRange(completion.GetProperty("created").GetInt64(), before, after);
        Assert.Equal(Chat.DefaultModel, completion.GetProperty("model").GetString());

        var choice = Assert.Single(completion.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("Simulated answer to: What is the capital of France?", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());

        var usage = completion.GetProperty("usage");
        Assert.Equal(9, usage.GetProperty("prompt_tokens").GetInt32()); // 3 system words + 6 user words
        Assert.Equal(9, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(18, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Should_leave_logprobs_null_when_they_are_not_requested()
    {
        var completion = await Chat.AnswerAsync(fixture.Client, Chat.Body("No logprobs please"));

        Assert.Equal(JsonValueKind.Null, completion.GetProperty("choices")[0].GetProperty("logprobs").ValueKind);
    }

    [Fact]
    public async Task Should_give_confident_logprobs_with_a_geometric_mean_of_at_least_0_9()
    {
        var body = Chat.Body("Tell me something confident about the weather");
        body["logprobs"] = true;
        body["top_logprobs"] = 3;

        var completion = await Chat.AnswerAsync(fixture.Client, body);

        // Each confident token's probability is drawn from 0.9 to 0.99.
        Assert.InRange(Chat.GeometricMeanProbability(completion), 0.9, 0.99);
        var tokens = completion.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content");
        var content = completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal(content, string.Concat(tokens.EnumerateArray().Select(token => token.GetProperty("token").GetString())));
        Assert.Equal(completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), tokens.GetArrayLength());
        foreach (var token in tokens.EnumerateArray())
        {
            Assert.NotEmpty(token.GetProperty("bytes").EnumerateArray());
            Assert.Equal(3, token.GetProperty("top_logprobs").GetArrayLength());
        }
    }

    [Fact]
    public async Task Should_accept_image_url_content_parts()
    {
        var body = new JsonObject
        {
            ["model"] = Chat.DefaultModel,
            ["messages"] = new JsonArray(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "text", ["text"] = "Describe this picture" },
                    new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "https://example.com/cat.png" } }),
            }),
        };

        var completion = await Chat.AnswerAsync(fixture.Client, body);

        Assert.Equal(
            "Simulated answer to: Describe this picture",
            completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(3, completion.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Should_truncate_at_max_tokens_with_finish_reason_length()
    {
        var body = Chat.Body("one two three four five six");
        body["max_tokens"] = 4;
        body["logprobs"] = true;

        var completion = await Chat.AnswerAsync(fixture.Client, body);

        var choice = completion.GetProperty("choices")[0];
        Assert.Equal("Simulated answer to: one", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(4, completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(4, choice.GetProperty("logprobs").GetProperty("content").GetArrayLength());
    }

    [Fact]
    public async Task Should_cut_the_answer_at_a_stop_sequence()
    {
        var body = Chat.Body("alpha beta gamma");
        body["stop"] = new JsonArray("gamma", "zeta");

        var completion = await Chat.AnswerAsync(fixture.Client, body);

        var choice = completion.GetProperty("choices")[0];
        Assert.Equal("Simulated answer to: alpha beta", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Should_echo_at_most_80_characters_of_the_last_user_message()
    {
        var longPrompt = string.Join(' ', Enumerable.Repeat("abcdefghi", 20));

        var completion = await Chat.AnswerAsync(fixture.Client, Chat.Body(longPrompt));

        var content = completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal("Simulated answer to: " + longPrompt[..80].TrimEnd(), content);
    }

    [Fact]
    public async Task Should_answer_the_same_content_and_logprobs_for_the_same_prompt()
    {
        var body = Chat.Body("Repeatable question");
        body["logprobs"] = true;

        var first = await Chat.AnswerAsync(fixture.Client, body);
        var second = await Chat.AnswerAsync(fixture.Client, body);

        Assert.Equal(
            first.GetProperty("choices")[0].GetProperty("logprobs").GetRawText(),
            second.GetProperty("choices")[0].GetProperty("logprobs").GetRawText());
    }

    [Fact]
    public async Task Should_list_an_accepted_model_and_report_health()
    {
        using var models = await fixture.Client.GetAsync(new Uri("v1/models", UriKind.Relative));
        using var health = await fixture.Client.GetAsync(new Uri("health", UriKind.Relative));

        var list = await Chat.ReadJsonAsync(models);
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Equal("model", list.GetProperty("data")[0].GetProperty("object").GetString());
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok", (await Chat.ReadJsonAsync(health)).GetProperty("status").GetString());
        Assert.NotEqual(0, fixture.Server.BaseAddress.Port);
    }
}
