using Microsoft.Extensions.Options;
using Orchestrator.Hosting;
using Orchestrator.Persistence;

namespace Orchestrator.Cli;

/// <summary><c>orchestrator migrate</c>: applies the schema to the configured store and exits.</summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        CliOutput.LogToStandardError(builder.Logging, builder.Configuration, LogLevel.Information);
        StoreSettings store;
        try
        {
            var options = builder.Configuration.GetSection(OrchestratorOptions.SectionName).Get<OrchestratorOptions>() ?? new OrchestratorOptions();
            store = StoreSettings.From(options, builder.Configuration);
        }
        catch (InvalidOperationException exception)
        {
            await Console.Error.WriteLineAsync($"migrate: {exception.Message}");
            return 2;
        }

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Orchestrator.Migrations");
        try
        {
            var applied = new List<string>();
            foreach (var migrator in store.Migrators(logger))
                applied.AddRange(await migrator.MigrateAsync());
            Console.WriteLine(applied.Count == 0
                ? $"{store.Kind}: schema up to date"
                : $"{store.Kind}: applied {string.Join(", ", applied)}");
            return 0;
        }
        catch (Exception exception)
        {
            await Console.Error.WriteLineAsync($"migrate: {store.Kind}: {exception.Message}");
            return 1;
        }
    }
}
