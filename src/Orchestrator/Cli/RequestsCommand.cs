using System.CommandLine;
using System.Text;
using System.Text.Json;
using static Orchestrator.Cli.CliOutput;

namespace Orchestrator.Cli;

/// <summary>
/// <c>requests list|show</c>, and <c>requests retry|cancel|pause|resume</c>: one request by its id or, with filter
/// options instead, every matching request (<c>--dry-run</c> counts first).
/// </summary>
sealed class RequestsCommand : Command
{
    static readonly (string Name, string Description)[] Actions =
    [
        ("retry", "Run a Failed request again, or a RetryScheduled one now"),
        ("cancel", "Cancel a request that has not finished"),
        ("pause", "Hold a Pending, Processing or RetryScheduled request"),
        ("resume", "Let a Paused request go on"),
    ];

    public RequestsCommand(ApiOptions api, RequestFilterOptions filter) : base("requests", "List, show, retry, cancel, pause and resume requests")
    {
        api.AddTo(this);
        Add(List(api, filter));
        Add(Show(api));
        foreach (var (name, description) in Actions)
            Add(Act(api, filter, name, description));
    }

    static Command List(ApiOptions api, RequestFilterOptions filter)
    {
        var limit = CliOptions.WholeNumber("--limit", "N", "List at most N requests, newest first", defaultValue: 50);
        var list = new Command("list", "List requests, newest first, filtered by the options given") { limit };
        filter.AddTo(list);
        list.SetAction(parse => api.CallAsync(parse, "requests", async client =>
        {
            var query = new StringBuilder("api/requests?limit=").Append(parse.GetValue(limit));
            foreach (var (field, value) in filter.From(parse))
                query.Append('&').Append(field).Append('=').Append(Uri.EscapeDataString($"{value}"));
            var (code, page) = await client.GetAsync(query.ToString(), "requests list");
            if (page is null)
                return code;
            using var owned = page;
            var output = client.Output;
            await output.WriteLineAsync($"{"REQUEST",-40} {"STATE",-15} {"ATTEMPT",7}  {"UPDATED (UTC)",-20} REASON");
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                await output.WriteLineAsync($"{Cut(Text(item, "requestId"), 40),-40} {Text(item, "state"),-15} {item.GetProperty("attempt").GetInt32(),7}  " +
                    $"{Time(item, "updatedAt"),-20} {Cut(Text(item, "reason"), 60)}");
            }
            return 0;
        }));
        return list;
    }

    static Command Show(ApiOptions api)
    {
        var id = new Argument<string>("ID") { Description = "The request's id" };
        var show = new Command("show", "One request: its state, its result and every attempt") { id };
        show.SetAction(parse => api.CallAsync(parse, "requests", async client =>
        {
            var (code, doc) = await client.GetAsync($"api/requests/{Uri.EscapeDataString(parse.GetRequiredValue(id))}", "requests show");
            if (doc is null)
                return code;
            using var owned = doc;
            await PrintAsync(client.Output, doc.RootElement);
            return 0;
        }));
        return show;
    }

    static async Task PrintAsync(TextWriter output, JsonElement r)
    {
        await output.WriteLineAsync($"request     {Text(r, "requestId")}");
        await output.WriteLineAsync($"state       {Text(r, "state")}   attempt {r.GetProperty("attempt").GetInt32()}");
        foreach (var field in new[] { "failureKind", "reason", "nextAttemptAt", "decision" })
        {
            if (r.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null)
                await output.WriteLineAsync($"{field,-11} {value}");
        }
        if (r.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object)
            await output.WriteLineAsync($"output      {Cut(Text(result, "output"), 200)}");
        await output.WriteLineAsync();
        await output.WriteLineAsync($"{"#",3} {"OUTCOME",-10} {"STARTED (UTC)",-20} {"MS",7} {"HTTP",5} {"BACKOFF",8}  {"WORKER",-20} REASON");
        foreach (var a in r.GetProperty("attempts").EnumerateArray())
        {
            await output.WriteLineAsync($"{a.GetProperty("attempt").GetInt32(),3} {Text(a, "outcome"),-10} {Time(a, "startedAt"),-20} {Number(a, "latencyMs"),7} " +
                $"{Number(a, "httpStatus"),5} {Number(a, "backoffMs"),8}  {Cut(Text(a, "workerId"), 20),-20} {Cut(Text(a, "reason"), 60)}");
        }
    }

    /// <summary>One of the four actions: on the request named by its id, or in bulk on every request the filter matches.</summary>
    static Command Act(ApiOptions api, RequestFilterOptions filter, string action, string description)
    {
        var id = new Argument<string>("ID") { Description = "The request's id; without it, give filter options to act on every match", Arity = ArgumentArity.ZeroOrOne };
        var reason = new Option<string>("--reason") { Description = "Why, for the request's history", HelpName = "TEXT" };
        var dryRun = CliOptions.Flag("--dry-run", "With filter options: count the matches and what would be done, change nothing");
        var command = new Command(action, $"{description}; with filter options instead of an id, every matching request") { id, reason, dryRun };
        filter.AddTo(command);
        command.Validators.Add(result =>
        {
            var byId = result.GetResult(id) is not null;
            var byFilter = filter.AnyIn(result);
            if (byId && byFilter)
                result.AddError("give a request id or filter options, not both");
            else if (!byId && !byFilter)
                result.AddError("give a request id, or filter options to act on every matching request");
            else if (byId && result.GetResult(dryRun) is not null)
                result.AddError("--dry-run goes with filter options, not with a request id");
        });
        command.SetAction(parse => api.CallAsync(parse, "requests", client => parse.GetValue(id) is { } one
            ? client.ActAsync($"api/requests/{Uri.EscapeDataString(one)}/{action}", new { reason = parse.GetValue(reason) })
            : BulkAsync(client, action, filter.From(parse), parse.GetValue(dryRun), parse.GetValue(reason))));
        return command;
    }

    static async Task<int> BulkAsync(ApiClient client, string action, IReadOnlyDictionary<string, object> filter, bool dryRun, string? reason)
    {
        var (code, doc) = await client.PostAsync($"api/requests/bulk/{action}", new { filter, dryRun, reason }, $"requests {action}");
        if (doc is null)
            return code;
        using var owned = doc;
        var r = doc.RootElement;
        await client.Output.WriteLineAsync($"{action}{(dryRun ? " (dry run)" : "")}: matched {r.GetProperty("matched").GetInt32()}, " +
            $"{(dryRun ? "would act on" : "accepted")} {r.GetProperty("accepted").GetInt32()}, skipped {r.GetProperty("skipped").GetInt32()}" +
            (r.GetProperty("more").GetBoolean() ? "; more match: run it again" : ""));
        return 0;
    }
}
