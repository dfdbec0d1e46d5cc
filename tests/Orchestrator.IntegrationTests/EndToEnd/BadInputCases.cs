namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>Requests the input gate must refuse, each with the reason it must give. Shared by the API and bus tests.</summary>
public static class BadInputCases
{
    static object Text(string text) => new { type = "text", text };

    static object Image(string url) => new { type = "image_url", image_url = new { url } };

    static object[] UserSays(params object[] parts) => [new { role = "user", content = parts }];

    /// <summary>(name, the request's fields over a valid base, the reason expected).</summary>
    public static readonly (string Name, Dictionary<string, object?> Fields, string Reason)[] All =
    [
        ("empty messages", new() { ["messages"] = Array.Empty<object>() }, "at least one message is required"),
        ("bad role", new() { ["messages"] = new[] { new { role = "robot", content = new[] { Text("hi") } } } }, "role must be one of"),
        ("oversized text", new() { ["messages"] = UserSays(Text(new string('x', 100_001))) }, "at most 100000 are allowed"),
        ("http image", new() { ["messages"] = UserSays(Text("what?"), Image("http://example.com/a.png")) }, "must be https:// or a data: URL"),
        ("svg image", new() { ["messages"] = UserSays(Text("what?"), Image("data:image/svg+xml;base64,AAAA")) }, "is not allowed"),
        ("data url not base64", new() { ["messages"] = UserSays(Text("what?"), Image("data:image/png,raw")) }, "must be base64"),
        ("invalid base64", new() { ["messages"] = UserSays(Text("what?"), Image("data:image/png;base64,iVBOR!!!w0KGgo=")) }, "messages[0].content[1].image_url: the data URL's base64 is invalid"),
        ("svg labelled png", new() { ["messages"] = UserSays(Text("what?"), Image("data:image/png;base64," + Convert.ToBase64String("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"u8))) }, "messages[0].content[1].image_url: the data is not a PNG image as its type image/png says: it is markup text"),
        ("jpeg labelled png", new() { ["messages"] = UserSays(Text("what?"), Image("data:image/png;base64," + Convert.ToBase64String([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01]))) }, "it is a JPEG image"),
        ("image in a system message", new() { ["messages"] = new object[] { new { role = "system", content = new[] { Image("https://example.com/a.png") } }, new { role = "user", content = "hi" } } }, "messages[0].content[0]: image parts are allowed in user messages only"),
        ("unknown field", new() { ["user"] = "u-42" }, "user: unknown field"),
        ("wrong type", new() { ["messages"] = new[] { new { role = "user", content = 42 } } }, "messages[0].content: expected a string or an array of parts (got a number)"),
        ("first retry delay above the maximum", new() { ["retry"] = new { initialIntervalMs = 120_000 } }, "retry.initialIntervalMs must be at most the maximum interval, 60000 ms"),
        ("unknown model", new() { ["model"] = "gpt-x" }, "unknown model 'gpt-x'"),
        ("temperature", new() { ["temperature"] = 3.0 }, "temperature must be between 0 and 2"),
        ("topP zero", new() { ["topP"] = 0.0 }, "topP must be greater than 0"),
        ("maxTokens zero", new() { ["maxTokens"] = 0 }, "maxTokens must be between 1 and"),
        ("stop too many", new() { ["stop"] = new[] { "a", "b", "c", "d", "e" } }, "stop takes at most 4"),
        ("bad request id", new() { ["requestId"] = "bad id!" }, "requestId may contain only"),
        ("long request id", new() { ["requestId"] = new string('r', 129) }, "at most 128 characters"),
        ("audio part", new() { ["messages"] = UserSays(new { type = "audio", text = "x" }) }, "part type must be 'text' or 'image_url'"),
        ("empty content", new() { ["messages"] = new[] { new { role = "user", content = Array.Empty<object>() } } }, "content must not be empty"),
        ("priority zero", new() { ["priority"] = 0 }, "priority: must be between 1 and 5 (got 0)"),
        ("priority six", new() { ["priority"] = 6 }, "priority: must be between 1 and 5 (got 6)"),
        ("priority negative", new() { ["priority"] = -1 }, "priority: must be between 1 and 5 (got -1)"),
    ];

    public static Dictionary<string, object?> Request(string requestId, Dictionary<string, object?> fields)
    {
        var body = new Dictionary<string, object?>
        {
            ["requestId"] = requestId,
            ["model"] = "sim",
            ["messages"] = UserSays(Text("hello")),
        };
        foreach (var (key, value) in fields)
            body[key] = value;
        return body;
    }
}
