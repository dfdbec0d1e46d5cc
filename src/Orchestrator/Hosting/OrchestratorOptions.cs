using Orchestrator.Persistence;
using Orchestrator.ServiceDefaults;

namespace Orchestrator.Hosting;

/// <summary>
/// How the orchestrator runs (section <c>Orchestrator</c>). With no configuration at all it runs embedded:
/// SQLite under <c>./data</c>, the in-memory transport, in-process workers and a simulated model.
/// </summary>
public sealed class OrchestratorOptions : IValidatedOptions
{
    public const string SectionName = "Orchestrator";

    public StoreKind Store { get; set; } = StoreKind.Sqlite;
    public TransportKind Transport { get; set; } = TransportKind.InMemory;

    /// <summary>The embedded SQLite file's folder, relative to the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Run the workers in this process. Default: only with the in-memory transport.</summary>
    public bool? EmbeddedWorkers { get; set; }

    /// <summary>Start the simulated model in this process and point the embedded workers at it. Default: with embedded workers.</summary>
    public bool? SimulatedModel { get; set; }

    /// <summary>Apply the schema at start-up. Default: on SQLite only; PostgreSQL is migrated by <c>orchestrator migrate</c>.</summary>
    public bool? MigrateOnStart { get; set; }

    /// <summary>Saga messages this process handles at once. SQLite has one writer, so fewer help there.</summary>
    public int? SagaConcurrencyLimit { get; set; }

    /// <summary>How long the start waits for PostgreSQL to answer and be migrated before it gives up (exit code 3).</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public bool RunsEmbeddedWorkers => EmbeddedWorkers ?? Transport == TransportKind.InMemory;
    public bool RunsSimulatedModel => SimulatedModel ?? RunsEmbeddedWorkers;
    public bool MigratesOnStart => MigrateOnStart ?? Store == StoreKind.Sqlite;
    public int EffectiveSagaConcurrency => SagaConcurrencyLimit ?? (Store == StoreKind.Sqlite ? 8 : 64);

    /// <summary>Null when valid, else a message naming the setting.</summary>
    public string? Problem()
    {
        if (StartupTimeout < TimeSpan.Zero)
            return $"{SectionName}:StartupTimeout must not be negative (got {StartupTimeout})";
        if (SagaConcurrencyLimit is < 1)
            return $"{SectionName}:SagaConcurrencyLimit must be at least 1 (got {SagaConcurrencyLimit})";
        if (Store == StoreKind.Sqlite && string.IsNullOrWhiteSpace(DataDirectory))
            return $"{SectionName}:DataDirectory must not be empty";
        return null;
    }
}
