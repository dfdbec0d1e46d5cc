using Orchestrator.ServiceDefaults;

namespace Orchestrator.Cli;

/// <summary>What the CLI prints for people. Logs go to stderr; stdout holds only the command's output.</summary>
public static class CliOutput
{
    public static int Usage()
    {
        Console.WriteLine("""
            orchestrator                      run the orchestrator (embedded by default: SQLite, in-memory bus, workers, simulated model)
                [--urls http://127.0.0.1:5080]
            orchestrator migrate              apply the schema to the configured store
            orchestrator requests list [FILTER] [--limit N] | show ID
            orchestrator requests retry|cancel|pause|resume ID [--reason R]
            orchestrator requests retry|cancel|pause|resume FILTER [--dry-run] [--reason R]    in bulk
                FILTER: --state S --model M --failure-kind K --min-attempts N --id-prefix P
                        --created-from T --created-to T --updated-from T --updated-to T
            orchestrator review approve ID [--reviewer R] [--note N] | reject ID [--reason R] [--retry]
            orchestrator submit --file request.json
            orchestrator dead-letters list [--status Pending|Requeued|Discarded|all] | show ID | requeue ID | discard ID
            orchestrator fleet                live workers, each endpoint's cooldown and breakers, held models
                                              against a running orchestrator: --url URL (or ORCHESTRATOR_URL,
                                              default http://127.0.0.1:5080); --api-key KEY (or
                                              ORCHESTRATOR_API_KEY); --json for scripts
            orchestrator demo --requests N    submit N requests to an embedded orchestrator, wait until all are terminal
                [--fault-rate F] [--json] [--timeout SECONDS]
                [--script '[[sim: 503, ok]]'] [--retry-initial-ms 2000,5000]   scripted faults and per-request backoff

            Configuration: Orchestrator__Store=Sqlite|Postgres, Orchestrator__Transport=InMemory|RabbitMQ,
            ConnectionStrings__Postgres, ConnectionStrings__RabbitMQ (amqp://...), see docs/reference/configuration.md.
            """);
        return 0;
    }

    /// <summary>A host builder's logging, sent to stderr so stdout stays the command's own.</summary>
    public static void LogToStandardError(ILoggingBuilder logging, IConfiguration configuration, LogLevel minimum)
    {
        logging.AddServiceLogging(configuration, toStandardError: true);
        logging.SetMinimumLevel(minimum);
        // Above appsettings.json's per-category levels too: a CLI verb is quiet unless something is wrong.
        logging.AddFilter((_, level) => level >= minimum);
    }
}
