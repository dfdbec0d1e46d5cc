using System.CommandLine;

namespace Orchestrator.Cli;

/// <summary><c>submit --file request.json</c>: a request submitted as the HTTP API takes it.</summary>
sealed class SubmitCommand : Command
{
    public SubmitCommand(ApiOptions api) : base("submit", "Submit a request from a JSON file (the body POST /api/requests takes)")
    {
        var file = new Option<string>("--file")
        {
            Description = "The request as JSON: {\"requestId\",\"model\",\"messages\",...}",
            HelpName = "request.json",
            Required = true,
        };
        file.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } path && !File.Exists(path))
                result.AddError($"no such file '{path}'");
        });
        Add(file);
        api.AddTo(this);
        SetAction(async parse =>
        {
            var json = await File.ReadAllTextAsync(parse.GetRequiredValue(file));
            return await api.CallAsync(parse, "submit", client => client.SubmitAsync(json));
        });
    }
}
