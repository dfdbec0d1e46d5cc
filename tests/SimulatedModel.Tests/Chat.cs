using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SimulatedModel.Tests;

/// <summary>Builds chat-completions requests and reads their answers.</summary>
public static class Chat
{
    public const string DefaultModel = "sim-model";

    public static readonly Uri CompletionsPath = new("v1/chat/completions", UriKind.Relative);

    /// <summary>A prompt no other test uses, so script counters are not shared between tests.</summary>
    public static string Unique(string text) => $"{text} (test {Guid.NewGuid():N})";

    public static JsonObject Body(string userText, string model = DefaultModel) => new()
    {
        ["model"] = model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = userText }),
    };

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, JsonNode body, string? requestId = null) =>
        PostRawAsync(client, body.ToJsonString(), requestId);

    public static async Task<HttpResponseMessage> PostRawAsync(HttpClient client, string json, string? requestId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, CompletionsPath)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (requestId is not null)
        {
            request.Headers.Add("X-Request-Id", requestId);
        }

        return await client.SendAsync(request);
    }

    /// <summary>Posts and returns the status, or "reset" when the server dropped the connection.</summary>
    public static async Task<string> OutcomeAsync(HttpClient client, JsonNode body)
    {
        try
        {
            using var response = await PostAsync(client, body);
            return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return "reset";
        }
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static async Task<JsonElement> AnswerAsync(HttpClient client, JsonNode body)
    {
        using var response = await PostAsync(client, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    /// <summary>exp(mean logprob): the geometric mean of the token probabilities.</summary>
    public static double GeometricMeanProbability(JsonElement completion)
    {
        var tokens = completion.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content");
        Assert.True(tokens.GetArrayLength() > 0);
        return Math.Exp(tokens.EnumerateArray().Average(token => token.GetProperty("logprob").GetDouble()));
    }

    /// <summary>Asserts the OpenAI error shape and returns the error object.</summary>
    public static async Task<JsonElement> ReadErrorAsync(HttpResponseMessage response)
    {
        var error = (await ReadJsonAsync(response)).GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
        return error;
    }
}
