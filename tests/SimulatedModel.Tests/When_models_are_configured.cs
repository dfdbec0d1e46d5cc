using System.Net;
using System.Text.Json;
using Orchestrator.SimulatedModel;

namespace SimulatedModel.Tests;

public sealed class When_models_are_configured
{
    [Fact]
    public async Task Should_answer_404_model_not_found_for_an_unknown_model()
    {
        await using SimulatedModelServer server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions { Models = ["gpt-sim"] });
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        using HttpResponseMessage response = await Chat.PostAsync(client, Chat.Body("Hi", model: "gpt-unknown"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        JsonElement error = await Chat.ReadErrorAsync(response);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("gpt-unknown", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_answer_a_configured_model_and_list_it()
    {
        await using SimulatedModelServer server = await SimulatedModelServer.StartAsync(new SimulatedModelOptions { Models = ["gpt-sim", "gpt-sim-mini"] });
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        JsonElement completion = await Chat.AnswerAsync(client, Chat.Body("Hi", model: "gpt-sim-mini"));
        using HttpResponseMessage modelsResponse = await client.GetAsync(new Uri("v1/models", UriKind.Relative));
        JsonElement models = await Chat.ReadJsonAsync(modelsResponse);

        Assert.Equal("gpt-sim-mini", completion.GetProperty("model").GetString());
        Assert.Equal(
            ["gpt-sim", "gpt-sim-mini"],
            models.GetProperty("data").EnumerateArray().Select(model => model.GetProperty("id").GetString()!).ToArray());
    }
}
