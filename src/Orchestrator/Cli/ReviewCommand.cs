using System.CommandLine;

namespace Orchestrator.Cli;

/// <summary><c>review approve|reject ID</c>: the decision on a request held for review (low confidence).</summary>
sealed class ReviewCommand : Command
{
    public ReviewCommand(ApiOptions api) : base("review", "Approve or reject a request held for review (AwaitingReview)")
    {
        api.AddTo(this);
        Add(Approve(api));
        Add(Reject(api));
    }

    static Command Approve(ApiOptions api)
    {
        var id = Id();
        var reviewer = Reviewer();
        var note = new Option<string>("--note") { Description = "A note for the request's history", HelpName = "TEXT" };
        var approve = new Command("approve", "Accept the request's output: it succeeds") { id, reviewer, note };
        approve.SetAction(parse => api.CallAsync(parse, "review", client =>
            client.ActAsync($"api/requests/{Uri.EscapeDataString(parse.GetRequiredValue(id))}/approve",
                new { reviewer = parse.GetValue(reviewer), note = parse.GetValue(note) })));
        return approve;
    }

    static Command Reject(ApiOptions api)
    {
        var id = Id();
        var reviewer = Reviewer();
        var reason = new Option<string>("--reason") { Description = "Why the output is refused", HelpName = "TEXT" };
        var retry = CliOptions.Flag("--retry", "Run the request again instead of failing it");
        var reject = new Command("reject", "Refuse the request's output: it fails, or with --retry runs again") { id, reviewer, reason, retry };
        reject.SetAction(parse => api.CallAsync(parse, "review", client =>
            client.ActAsync($"api/requests/{Uri.EscapeDataString(parse.GetRequiredValue(id))}/reject",
                new { reviewer = parse.GetValue(reviewer), reason = parse.GetValue(reason), retry = parse.GetValue(retry) })));
        return reject;
    }

    static Argument<string> Id() => new("ID") { Description = "The request's id" };

    static Option<string> Reviewer() => new("--reviewer") { Description = "Who decided, for the request's history", HelpName = "NAME" };
}
