using System.CommandLine;
using Microsoft.Extensions.Options;
using Orchestrator.Hosting;
using Orchestrator.Persistence;
using Orchestrator.ServiceDefaults;

namespace Orchestrator.Cli;

/// <summary><c>orchestrator migrate</c>: applies the schema to the configured store and exits.</summary>
sealed class MigrateCommand : Command
{
    public MigrateCommand() : base("migrate", "Apply the schema to the configured store (PostgreSQL: as the owner role of ConnectionStrings:PostgresMigrations)")
    {
        // The store is configured as for the server: environment variables, or these switches passed through as they are.
        var settings = new Argument<string[]>("SETTINGS")
        {
            Description = "Configuration switches, as the server takes them (--Orchestrator:Store=Postgres)",
            Arity = ArgumentArity.ZeroOrMore,
            CaptureRemainingTokens = true,
        };
        Add(settings);
        SetAction(parse => RunAsync(parse.GetValue(settings) ?? [], parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
    }

    static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        CliOutput.LogToStandardError(builder.Logging, builder.Configuration, LogLevel.Information);
        StoreSettings store;
        try
        {
            var options = builder.Configuration.GetValidatedOptions<OrchestratorOptions>(OrchestratorOptions.SectionName);
            store = StoreSettings.From(options, builder.Configuration);
        }
        catch (Exception exception) when (exception is InvalidOperationException or OptionsValidationException)
        {
            await error.WriteLineAsync($"migrate: {exception.Message}");
            return 2;
        }

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Orchestrator.Migrations");
        try
        {
            var applied = new List<string>();
            foreach (var migrator in store.Migrators(logger))
                applied.AddRange(await migrator.MigrateAsync());
            await output.WriteLineAsync(applied.Count == 0
                ? $"{store.Kind}: schema up to date"
                : $"{store.Kind}: applied {string.Join(", ", applied)}");
            return 0;
        }
        catch (Exception exception)
        {
            await error.WriteLineAsync($"migrate: {store.Kind}: {exception.Message}");
            return 1;
        }
    }
}
