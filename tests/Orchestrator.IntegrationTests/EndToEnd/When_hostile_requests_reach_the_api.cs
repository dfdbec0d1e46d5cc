using System.Net;
using System.Text;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// The API of an orchestrator running as its own process, fed what a broken or hostile client sends: each gets its
/// 400/413/415 problem details, and the process serves the next ordinary request as if nothing happened.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_hostile_requests_reach_the_api(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    [Fact]
    public async Task Should_answer_each_with_problem_details_and_keep_serving()
    {
        var http = app.Api;
        var cases = new (string Name, Func<HttpRequestMessage> Request, HttpStatusCode Status)[]
        {
            ("malformed JSON", () => Post("{\"model\": \"sim\", \"messages\": [", "application/json"), HttpStatusCode.BadRequest),
            ("JSON that is not an object", () => Post("[1, 2, 3]", "application/json"), HttpStatusCode.BadRequest),
            ("fields of the wrong type", () => Post("{\"model\": 5, \"messages\": \"hello\", \"temperature\": \"hot\"}", "application/json"), HttpStatusCode.BadRequest),
            ("wrong content type", () => Post("model=sim&text=hello", "application/x-www-form-urlencoded"), HttpStatusCode.UnsupportedMediaType),
            ("no content type", () => new HttpRequestMessage(HttpMethod.Post, new Uri("api/requests", UriKind.Relative)) { Content = new ByteArrayContent("{}"u8.ToArray()) }, HttpStatusCode.UnsupportedMediaType),
            ("request id too long", () => Post($"{{\"requestId\": \"{new string('r', 129)}\", \"model\": \"sim\", \"messages\": [{{\"role\": \"user\", \"content\": \"hi\"}}]}}", "application/json"), HttpStatusCode.BadRequest),
            ("bad id in the path", () => new HttpRequestMessage(HttpMethod.Get, new Uri("api/requests/bad%20id!", UriKind.Relative)), HttpStatusCode.BadRequest),
            ("oversized body", Oversized, HttpStatusCode.RequestEntityTooLarge),
        };

        foreach (var (name, request, status) in cases)
        {
            using var message = request();
            using var response = await http.SendAsync(message);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{name}: expected {(int)status}, got {(int)response.StatusCode} {body}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{name}: answered {response.Content.Headers.ContentType} {body}");
        }

        Assert.Equal(0, await app.Cluster.CountAsync("request_id LIKE 'rrrrrrrr%'"));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("health/live", UriKind.Relative))).StatusCode);
        var after = $"api-hostile-{Guid.NewGuid():N}"[..28];
        await app.Cluster.SubmitAsync(after, "Business as usual");
        await app.Cluster.WaitForStateAsync(after, "Succeeded", TimeSpan.FromSeconds(60));
    }

    /// <summary>The bus door's cases (When_a_service_publishes_raw_amqp) through the API: the same JSON, the same rules.</summary>
    [Fact]
    public async Task Should_read_the_bus_shapes_alike_and_refuse_by_field()
    {
        var http = app.Api;
        var run = Guid.NewGuid().ToString("N")[..8];
        var plain = $$$"""{"requestId":"api-plain-{{{run}}}","model":"sim","messages":[{"role":"user","content":"hello"}],"temperature":0.3,"max_tokens":50,"seed":11}""";
        var cases = new (string Name, string Body, HttpStatusCode Status, string Detail)[]
        {
            ("plain", plain, HttpStatusCode.Accepted, ""),
            ("parts", $$$"""{"requestId":"api-parts-{{{run}}}","model":"sim","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"high"}}]}],"parameters":{"maxTokens":50}}""", HttpStatusCode.Accepted, ""),
            ("image only", $$$"""{"requestId":"api-image-{{{run}}}","model":"sim","messages":[{"role":"user","content":[{"type":"image_url","image_url":"https://example.com/a.png"}]}]}""", HttpStatusCode.Accepted, ""),
            ("unknown field", $$$"""{"requestId":"api-unknown-{{{run}}}","model":"sim","messages":[{"role":"user","content":"hi"}],"user":"u-42"}""", HttpStatusCode.BadRequest, "user: unknown field"),
            ("wrong type", $$$"""{"requestId":"api-types-{{{run}}}","model":"sim","messages":[{"role":"user","content":42}]}""", HttpStatusCode.BadRequest, "messages[0].content: expected a string or an array of parts (got a number)"),
            ("given twice", $$$"""{"requestId":"api-twice-{{{run}}}","model":"sim","messages":[{"role":"user","content":"hi"}],"temperature":0.1,"parameters":{"temperature":0.2}}""", HttpStatusCode.BadRequest, "parameters.temperature: temperature is given twice"),
            ("deadline passed", $$$"""{"requestId":"api-late-{{{run}}}","model":"sim","messages":[{"role":"user","content":"hi"}],"deadline":"2020-01-01T00:00:00Z"}""", HttpStatusCode.BadRequest, "deadline: the deadline 2020-01-01T00:00:00.000Z has already passed"),
        };
        foreach (var (name, body, status, detail) in cases)
        {
            using var response = await http.SendAsync(Post(body, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{name}: expected {(int)status}, got {(int)response.StatusCode} {text}");
            Assert.True(text.Contains(detail, StringComparison.Ordinal), $"{name}: expected '{detail}' in {text}");
        }
        Assert.Equal(0, await app.Cluster.CountAsync($"request_id IN ('api-unknown-{run}', 'api-types-{run}', 'api-twice-{run}', 'api-late-{run}')"));
        await app.Cluster.WaitForStateAsync($"api-plain-{run}", "Succeeded", TimeSpan.FromSeconds(60));
        await app.Cluster.WaitForStateAsync($"api-parts-{run}", "Succeeded", TimeSpan.FromSeconds(60));

        // A resubmission of an id that exists answers with that request, its deadline passed or not.
        using var again = await http.SendAsync(Post(plain.Replace("\"seed\":11", "\"seed\":11,\"deadline\":\"2020-01-01T00:00:00Z\"", StringComparison.Ordinal), "application/json"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    static HttpRequestMessage Post(string body, string contentType) =>
        new(HttpMethod.Post, new Uri("api/requests", UriKind.Relative)) { Content = new StringContent(body, Encoding.UTF8, contentType) };

    static HttpRequestMessage Oversized()
    {
        // Over the 16 MB default; Expect: 100-continue lets the server refuse before the body is sent.
        var request = Post("{\"model\":\"sim\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 17 * 1024 * 1024) + "\"}]}", "application/json");
        request.Headers.ExpectContinue = true;
        return request;
    }
}
