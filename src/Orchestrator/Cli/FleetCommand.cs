using System.CommandLine;
using static Orchestrator.Cli.CliOutput;

namespace Orchestrator.Cli;

/// <summary><c>fleet</c>: the live workers, each endpoint's cooldown and breakers, and the held models (<c>GET /api/fleet</c>).</summary>
sealed class FleetCommand : Command
{
    public FleetCommand(ApiOptions api) : base("fleet", "The live workers, each endpoint's cooldown and breakers, the held models")
    {
        api.AddTo(this);
        SetAction(parse => api.CallAsync(parse, "fleet", PrintAsync));
    }

    static async Task<int> PrintAsync(ApiClient client)
    {
        var (code, fleet) = await client.GetAsync("api/fleet", "fleet");
        if (fleet is null)
            return code;
        using var owned = fleet;
        var output = client.Output;
        var root = fleet.RootElement;
        var workers = root.GetProperty("workers").EnumerateArray().ToList();
        await output.WriteLineAsync($"{workers.Count} live worker(s): " +
            string.Join(", ", workers.Select(w => $"{Text(w, "workerId")} ({w.GetProperty("inFlight").GetInt32()} in flight)")));
        await output.WriteLineAsync($"{"MODEL",-12} {"ENDPOINT",-24} {"PRIO",4} {"IN FLIGHT",9}  {"COOLING UNTIL (UTC)",-20} BREAKERS");
        foreach (var endpoint in root.GetProperty("endpoints").EnumerateArray())
        {
            var breakers = string.Join(", ", endpoint.GetProperty("breakers").EnumerateArray().Select(b => $"{Text(b, "workerId")}: {Text(b, "state")}"));
            await output.WriteLineAsync($"{Cut(Text(endpoint, "model"), 12),-12} {Cut(Text(endpoint, "endpoint"), 24),-24} {endpoint.GetProperty("priority").GetInt32(),4} " +
                $"{endpoint.GetProperty("inFlight").GetInt32(),9}  {Time(endpoint, "coolingUntil"),-20} {breakers}");
            if (Text(endpoint, "coolingReason") is { Length: > 0 } why)
                await output.WriteLineAsync($"{"",-12} cooling down: {why}");
        }
        foreach (var hold in root.GetProperty("holds").EnumerateArray())
            await output.WriteLineAsync($"held: model {Text(hold, "model")} until {Time(hold, "until")}: {Text(hold, "reason")}");
        return 0;
    }
}
