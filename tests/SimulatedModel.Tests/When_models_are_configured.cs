using System.Net;
using Orchestrator.SimulatedModel;

namespace SimulatedModel.Tests;

public sealed class When_models_are_configured
{
    [Fact]
    public async Task Should_answer_404_model_not_found_for_an_unknown_model()
    {
        await using var server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions { Models = ["gpt-sim"] });
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await Chat.PostAsync(client, Chat.Body("Hi", model: "gpt-unknown"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await Chat.ReadErrorAsync(response);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("gpt-unknown", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_a_configured_model_and_list_it()
    {
        await using var server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions { Models = ["gpt-sim", "gpt-sim-mini"] });
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        var completion = await Chat.AnswerAsync(client, Chat.Body("Hi", model: "gpt-sim-mini"));
        using var modelsResponse = await client.GetAsync(new Uri("v1/models", UriKind.Relative));
        var models = await Chat.ReadJsonAsync(modelsResponse);

        Assert.Equal("gpt-sim-mini", completion.GetProperty("model").GetString());
        Assert.Equal(
            ["gpt-sim", "gpt-sim-mini"],
            models.GetProperty("data").EnumerateArray().Select(model => model.GetProperty("id").GetString()!).ToArray());
    }
}
