using System.CommandLine;
using System.CommandLine.Parsing;

namespace Orchestrator.Cli;

/// <summary>
/// The options every API verb takes, defined once: which orchestrator (<c>--url</c>, else <c>ORCHESTRATOR_URL</c>,
/// else http://127.0.0.1:5080), the API key (<c>--api-key</c>, else <c>ORCHESTRATOR_API_KEY</c>) and <c>--json</c>.
/// Each is recursive: given to a verb group, it serves all of the group's verbs.
/// </summary>
public sealed class ApiOptions
{
    const string UrlVariable = "ORCHESTRATOR_URL";
    const string ApiKeyVariable = "ORCHESTRATOR_API_KEY";

    public Option<Uri> Url { get; } = new("--url")
    {
        Description = $"The orchestrator's address; {UrlVariable} sets the default",
        HelpName = "URL",
        Recursive = true,
        CustomParser = result => ParseUrl(result, result.Tokens[0].Value, "--url"),
        DefaultValueFactory = result => ParseUrl(result, Environment.GetEnvironmentVariable(UrlVariable) ?? ServerCommand.DefaultUrl, UrlVariable),
    };

    // No default value from the environment here: help prints defaults, and this one is a secret.
    public Option<string> ApiKey { get; } = new("--api-key")
    {
        Description = $"The API key to send; {ApiKeyVariable} sets the default",
        HelpName = "KEY",
        Recursive = true,
    };

    public Option<bool> Json { get; } = CliOptions.Flag("--json", "Print the API's answer as it came: the last stdout line is one JSON object");

    public ApiOptions() => Json.Recursive = true;

    public void AddTo(Command command)
    {
        command.Add(Url);
        command.Add(ApiKey);
        command.Add(Json);
    }

    /// <summary>
    /// Runs one verb's calls with a client for the chosen orchestrator; an orchestrator that cannot be reached is a
    /// message on stderr and exit code 1.
    /// </summary>
    public async Task<int> CallAsync(ParseResult parse, string verb, Func<ApiClient, Task<int>> call)
    {
        var url = parse.GetRequiredValue(Url);
        var key = parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
        using var client = new ApiClient(url, key, parse.GetValue(Json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        try
        {
            return await call(client);
        }
        catch (HttpRequestException exception)
        {
            await client.Error.WriteLineAsync($"{verb}: cannot reach the orchestrator at {url}: {exception.Message}");
            return 1;
        }
    }

    static Uri ParseUrl(ArgumentResult result, string url, string source)
    {
        if (Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            return uri;
        result.AddError($"{source} must be an http(s) URL (got '{url}')");
        return null!; // never read: the parse failed
    }
}
