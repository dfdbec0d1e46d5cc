using System.CommandLine;
using System.Globalization;
using static Orchestrator.Cli.CliOutput;

namespace Orchestrator.Cli;

/// <summary><c>dead-letters list|show|requeue|discard</c>: the messages the bus gave up on, kept for an operator.</summary>
sealed class DeadLettersCommand : Command
{
    public DeadLettersCommand(ApiOptions api) : base("dead-letters", "List, show, requeue and discard the messages the bus gave up on")
    {
        api.AddTo(this);
        Add(List(api));
        Add(Show(api));
        Add(Act(api, "requeue", "Send the message back, unchanged, to the queue it failed in"));
        Add(Act(api, "discard", "Close the dead letter without sending it"));
    }

    static Command Show(ApiOptions api)
    {
        var show = new Command("show", "One dead letter as JSON, with its headers and body");
        var id = Id(show);
        show.SetAction(parse => api.CallAsync(parse, "dead-letters", client =>
            client.ShowAsync($"api/dead-letters/{parse.GetRequiredValue(id)}", "dead-letters show")));
        return show;
    }

    static Command Act(ApiOptions api, string action, string description)
    {
        var command = new Command(action, description);
        var id = Id(command);
        command.SetAction(parse => api.CallAsync(parse, "dead-letters", client =>
            client.ActAsync($"api/dead-letters/{parse.GetRequiredValue(id)}/{action}", new { })));
        return command;
    }

    static Argument<long> Id(Command command)
    {
        var id = new Argument<long>("ID")
        {
            Description = "The dead letter's id, a number, as list shows it",
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                    return value;
                result.AddError($"ID must be a dead letter's id, a whole number (got '{text}')");
                return 0;
            },
        };
        command.Add(id);
        return id;
    }

    static Command List(ApiOptions api)
    {
        var status = new Option<string>("--status")
        {
            Description = "Pending, Requeued, Discarded or all",
            HelpName = "STATUS",
            DefaultValueFactory = _ => "Pending",
        };
        var limit = CliOptions.WholeNumber("--limit", "N", "List at most N dead letters", defaultValue: 50);
        var list = new Command("list", "The dead letters of one status, newest first, and how many are pending") { status, limit };
        list.SetAction(parse => api.CallAsync(parse, "dead-letters", async client =>
        {
            var query = $"api/dead-letters?status={Uri.EscapeDataString(parse.GetRequiredValue(status))}&limit={parse.GetValue(limit)}";
            var (code, page) = await client.GetAsync(query, "dead-letters list");
            if (page is null)
                return code;
            using var owned = page;
            var output = client.Output;
            await output.WriteLineAsync($"{"ID",8}  {"RECEIVED (UTC)",-20} {"QUEUE",-26} {"STATUS",-10} {"REQUEST",-24} REASON");
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                await output.WriteLineAsync($"{item.GetProperty("id").GetInt64(),8}  {Time(item, "receivedAt"),-20} {Cut(Text(item, "queue"), 26),-26} " +
                    $"{Text(item, "status"),-10} {Cut(Text(item, "requestId"), 24),-24} {Cut(Text(item, "reason"), 80)}");
            }
            await output.WriteLineAsync($"{page.RootElement.GetProperty("pending").GetInt32()} pending");
            return 0;
        }));
        return list;
    }
}
