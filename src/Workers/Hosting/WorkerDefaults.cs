using Microsoft.Extensions.Configuration.Memory;

namespace Orchestrator.Workers.Hosting;

/// <summary>
/// The standalone worker's defaults, as the lowest-priority configuration source. Not an appsettings.json: the
/// embedded orchestrator references this project, and a second appsettings.json would overwrite its own.
/// </summary>
public static class WorkerDefaults
{
    public static readonly IReadOnlyDictionary<string, string?> Values = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:MassTransit"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["Workers:Models:sim:Endpoints:0:Name"] = "sim",
        ["Workers:Models:sim:Endpoints:0:BaseUrl"] = "http://127.0.0.1:5090",
    };

    public static void AddAsLowestPriority(IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Values });
}
