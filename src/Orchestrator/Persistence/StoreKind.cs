namespace Orchestrator.Persistence;

/// <summary>Where the saga tables live.</summary>
public enum StoreKind
{
    /// <summary>A SQLite file: the embedded mode.</summary>
    Sqlite,

    /// <summary>PostgreSQL: production.</summary>
    Postgres,
}
