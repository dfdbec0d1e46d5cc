using System.CommandLine;
using static Orchestrator.Cli.CliOutput;

namespace Orchestrator.Cli;

/// <summary><c>callbacks list|show|redeliver</c>: the callback events of requests and batches, the failed ones above all.</summary>
sealed class CallbacksCommand : Command
{
    public CallbacksCommand(ApiOptions api) : base("callbacks", "List, show and redeliver the callbacks sent to requests' URLs")
    {
        api.AddTo(this);
        Add(List(api));
        Add(Show(api));
        Add(Redeliver(api));
    }

    static Command List(ApiOptions api)
    {
        var state = new Option<string>("--state")
        {
            Description = "Failed, Pending, Delivered or all",
            HelpName = "STATE",
            DefaultValueFactory = _ => "Failed",
        };
        var request = new Option<string?>("--request") { Description = "Only this request's events", HelpName = "REQUEST_ID" };
        var batch = new Option<string?>("--batch") { Description = "Only this batch's events (batch.completed)", HelpName = "BATCH_ID" };
        var limit = CliOptions.WholeNumber("--limit", "N", "List at most N events", defaultValue: 50);
        var list = new Command("list", "Callback events of one state, newest first, and how many have failed") { state, request, batch, limit };
        list.SetAction(parse => api.CallAsync(parse, "callbacks", async client =>
        {
            var query = $"api/callbacks?state={Uri.EscapeDataString(parse.GetRequiredValue(state))}&limit={parse.GetValue(limit)}";
            if (parse.GetValue(request) is { Length: > 0 } id)
                query += $"&requestId={Uri.EscapeDataString(id)}";
            if (parse.GetValue(batch) is { Length: > 0 } batchId)
                query += $"&batchId={Uri.EscapeDataString(batchId)}";
            var (code, page) = await client.GetAsync(query, "callbacks list");
            if (page is null)
                return code;
            using var owned = page;
            var output = client.Output;
            await output.WriteLineAsync($"{"EVENT",-36}  {"CREATED (UTC)",-20} {"TYPE",-26} {"STATE",-9} {"TRIES",5} {"REQUEST OR BATCH",-24} LAST ERROR");
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                await output.WriteLineAsync($"{Text(item, "eventId"),-36}  {Time(item, "createdAt"),-20} {Text(item, "type"),-26} {Text(item, "state"),-9} " +
                    $"{Number(item, "attempts"),5} {Cut(Subject(item), 24),-24} {Cut(Text(item, "lastError"), 80)}");
            }
            await output.WriteLineAsync($"{page.RootElement.GetProperty("failed").GetInt32()} failed");
            return 0;
        }));
        return list;
    }

    // A request's event names its request; a batch's (batch.completed) its batch.
    static string Subject(System.Text.Json.JsonElement item) => Text(item, "requestId") is { Length: > 0 } id ? id : Text(item, "batchId");

    static Command Show(ApiOptions api)
    {
        var show = new Command("show", "One callback event as JSON, with every delivery attempt");
        var id = EventId(show);
        show.SetAction(parse => api.CallAsync(parse, "callbacks", client =>
            client.ShowAsync($"api/callbacks/{Uri.EscapeDataString(parse.GetRequiredValue(id))}", "callbacks show")));
        return show;
    }

    static Command Redeliver(ApiOptions api)
    {
        var redeliver = new Command("redeliver", "Send a failed (or delivered) callback again: same webhook-id and body, a fresh attempt budget");
        var id = EventId(redeliver);
        redeliver.SetAction(parse => api.CallAsync(parse, "callbacks", async client =>
        {
            var (code, answer) = await client.PostAsync($"api/callbacks/{Uri.EscapeDataString(parse.GetRequiredValue(id))}/redeliver", new { }, "callbacks redeliver");
            if (answer is null)
                return code;
            using var owned = answer;
            await client.Output.WriteLineAsync($"{Text(answer.RootElement, "eventId")}: {Text(answer.RootElement, "state")}");
            return 0;
        }));
        return redeliver;
    }

    static Argument<string> EventId(Command command)
    {
        var id = new Argument<string>("EVENT_ID") { Description = "The event's id (evt_...), its webhook-id, as list shows it" };
        command.Add(id);
        return id;
    }
}
