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
