using System.CommandLine;
using Orchestrator.Cli;

namespace Orchestrator.Tests.Cli;

public sealed class When_the_cli_builds_a_request_filter
{
    static IReadOnlyDictionary<string, object> Filter(params string[] args)
    {
        var filter = new RequestFilterOptions();
        var parse = new RootCommand { new RequestsCommand(new ApiOptions(), filter) }.Parse(args);
        Assert.Empty(parse.Errors);
        return filter.From(parse);
    }

    [Fact]
    public void Should_key_each_option_by_the_APIs_field_name()
    {
        var filter = Filter("requests", "retry", "--state", "Failed", "--model", "sim", "--failure-kind", "Transient", "--min-attempts", "3",
            "--id-prefix", "batch-", "--priority", "5", "--created-from", "2026-01-01", "--created-to", "2026-01-02",
            "--updated-from", "2026-02-01T10:00:00Z", "--updated-to", "2026-02-02");

        Assert.Equal(new Dictionary<string, object>
        {
            ["state"] = "Failed",
            ["model"] = "sim",
            ["failureKind"] = "Transient",
            ["minAttempts"] = 3,
            ["idPrefix"] = "batch-",
            ["priority"] = 5,
            ["createdFrom"] = "2026-01-01",
            ["createdTo"] = "2026-01-02",
            ["updatedFrom"] = "2026-02-01T10:00:00Z",
            ["updatedTo"] = "2026-02-02",
        }, filter);
    }

    [Fact]
    public void Should_hold_only_the_options_given()
    {
        var filter = Filter("requests", "list", "--state", "Failed", "--limit", "10");

        Assert.Equal(new Dictionary<string, object> { ["state"] = "Failed" }, filter);
    }

    [Fact]
    public void Should_be_empty_for_one_request_by_id()
    {
        Assert.Empty(Filter("requests", "cancel", "r-1", "--reason", "no longer needed"));
    }
}
