using System.Net;
using System.Text.Json.Nodes;

namespace SimulatedModel.Tests;

public sealed class When_the_request_is_invalid(SimulatedModelFixture fixture) : IClassFixture<SimulatedModelFixture>
{
    [Theory]
    [InlineData("{\"model\": \"sim-model\", \"messages\": [")]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("[1, 2, 3]")]
    public async Task Should_reject_a_malformed_body_with_400(string json)
    {
        using var response = await Chat.PostRawAsync(fixture.Client, json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", (await Chat.ReadErrorAsync(response)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Should_reject_a_missing_model_naming_the_param()
    {
        var body = Chat.Body("Hi");
        body.Remove("model");

        using var response = await Chat.PostAsync(fixture.Client, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("model", (await Chat.ReadErrorAsync(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task Should_reject_empty_messages_naming_the_param()
    {
        var body = Chat.Body("Hi");
        body["messages"] = new JsonArray();

        using var response = await Chat.PostAsync(fixture.Client, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("messages", (await Chat.ReadErrorAsync(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task Should_reject_streaming_as_unsupported()
    {
        var body = Chat.Body("Hi");
        body["stream"] = true;

        using var response = await Chat.PostAsync(fixture.Client, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await Chat.ReadErrorAsync(response);
        Assert.Equal("streaming is not supported by the simulated model", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("max_tokens", "0")]
    [InlineData("max_tokens", "\"ten\"")]
    [InlineData("temperature", "\"hot\"")]
    [InlineData("stop", "42")]
    [InlineData("logprobs", "\"yes\"")]
    [InlineData("top_logprobs", "50")]
    public async Task Should_reject_a_parameter_of_the_wrong_type_naming_it(string name, string json)
    {
        var body = Chat.Body("Hi");
        body[name] = JsonNode.Parse(json);

        using var response = await Chat.PostAsync(fixture.Client, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(name, (await Chat.ReadErrorAsync(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task Should_accept_null_optional_parameters_and_unknown_fields()
    {
        var body = Chat.Body("Hi");
        body["temperature"] = null;
        body["stop"] = null;
        body["user"] = "someone";
        body["seed"] = 7;

        var completion = await Chat.AnswerAsync(fixture.Client, body);

        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
    }
}
