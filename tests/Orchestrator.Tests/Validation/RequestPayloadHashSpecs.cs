using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Submission;

namespace Orchestrator.Tests.Validation;

/// <summary>
/// The payload hash guards a request id against reuse with another payload: a request stored before the reader and
/// the contract changed must hash the same now, or its client's resubmission would turn into a 409. The expected
/// values were computed by the previous API parser and hash, on these very bodies.
/// </summary>
public sealed class RequestPayloadHashSpecs
{
    public static TheoryData<string, string> Stored => new()
    {
        { """{"requestId":"g-1","model":"sim","messages":[{"role":"user","content":"Hello"}]}""", "e76b2bda4c3555a94455bde3641ca7a043fe6902f638f271e2f3e172baf03107" },
        { """{"requestId":"g-2","model":"sim","messages":[{"role":"user","content":[{"type":"text","text":"Hello"}]}]}""", "e76b2bda4c3555a94455bde3641ca7a043fe6902f638f271e2f3e172baf03107" },
        { """{"requestId":"g-3","model":"sim","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Summarise: the quick brown fox"}],"temperature":0.2,"maxTokens":256,"topP":0.9,"stop":["\n\n","END"]}""", "a46d773d8efca906d9c4ebb84644c92160f800daa3192325a33c5c76267736d4" },
        { """{"requestId":"g-4","model":"sim","messages":[{"role":"user","content":[{"type":"text","text":"What is in this picture?"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}],"stop":"STOP"}""", "c347291bc8582c2c928a623d5633a4881c95383457690116c602e2749a6a1b4c" },
        { """{"requestId":"g-5","model":"sim","messages":[{"role":"user","content":"Retry me"}],"retry":{"maximumAttempts":3,"initialIntervalMs":500,"backoffCoefficient":1.5,"maximumIntervalMs":10000},"temperature":1}""", "c03ed3b6b87d3632ee618947d8597a6aeab84f1dbc53c4a13abb20688a18afef" },
        { """{"requestId":"g-6","model":"sim","messages":[{"role":"user","content":"h\u00e9llo \"quoted\" <tag> & \ud83d\ude00 back\\slash"}],"maxTokens":1}""", "2acd1fa17c05c9ca62ab35057dc83c3e3bad66e35190e5ee6e0802fdd8ec5a37" },
        { """{"requestId":"g-7","model":"sim","messages":[{"role":"user","content":[{"type":"text","text":"and this?"},{"type":"image_url","image_url":"data:image/png;base64,iVBORw0KGgo="}]}],"metadata":{"tenant":"acme"},"priority":5,"deadline":"2030-01-01T00:00:00Z","sourceService":"billing"}""", "f29d67e935239643e90287282d03484462da57cf72491041965d3f306e675afd" },
    };

    [Theory]
    [MemberData(nameof(Stored))]
    public void Should_hash_a_stored_request_as_before_through_the_api(string body, string stored)
    {
        using var doc = JsonDocument.Parse(body);
        var (request, errors) = RequestReader.ReadSubmission(doc.RootElement, null);
        Assert.Empty(errors);
        Assert.Equal(stored, RequestPayload.Hash(request!));
    }

    /// <summary>The same request published on the bus, its parameters under <c>parameters</c> in snake_case, is the same request.</summary>
    [Theory]
    [MemberData(nameof(Stored))]
    public void Should_hash_the_same_request_from_the_bus_alike(string body, string stored)
    {
        var message = JsonNode.Parse(body)!.AsObject();
        var parameters = new JsonObject();
        foreach (var (name, snake) in new[] { ("temperature", "temperature"), ("maxTokens", "max_tokens"), ("topP", "top_p"), ("stop", "stop") })
        {
            if (message.Remove(name, out var value))
                parameters[snake] = value;
        }
        if (parameters.Count > 0)
            message["parameters"] = parameters;

        using var doc = JsonDocument.Parse(message.ToJsonString());
        var (request, unnamed) = RequestReader.ReadMessage(doc.RootElement);
        Assert.Null(unnamed);
        Assert.Empty(RequestReader.ProblemsOf(request!));
        Assert.Equal(stored, RequestPayload.Hash(request!));
    }

    [Fact]
    public void Should_tell_requests_apart_by_what_is_new_only_when_it_is_set()
    {
        static string Hash(string extra)
        {
            using var doc = JsonDocument.Parse($$$"""{"model":"sim","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/cat.png"{{{extra}}}}}]}]}""");
            return RequestPayload.Hash(RequestReader.ReadSubmission(doc.RootElement, "h-1").Request!);
        }

        Assert.NotEqual(Hash(""), Hash(",\"detail\":\"low\""));
        Assert.NotEqual(Hash(",\"detail\":\"low\""), Hash(",\"detail\":\"high\""));
    }
}
