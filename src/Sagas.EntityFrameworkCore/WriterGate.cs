namespace Orchestrator.Sagas.EntityFrameworkCore;

/// <summary>
/// Lets one write transaction at a time into an embedded SQLite file, in the order they asked, waiting
/// asynchronously. SQLite has one writer: when several transactions of this process race for its lock, the losers
/// get SQLITE_BUSY and the ADO.NET driver retries them after a blocking sleep, leaving the box idle while they wait.
/// Queued here instead, each starts the moment the previous one commits (bench/README.md has what it bought, with the
/// saga's writes made late in EfSagaRepositoryContext). Other processes on the same file (the CLI) still meet SQLite's own lock and its busy
/// timeout. PostgreSQL has row locks and needs no gate: there it is open.
/// </summary>
public sealed class WriterGate
{
    readonly SemaphoreSlim? _single;

    WriterGate(SemaphoreSlim? single) => _single = single;

    /// <summary>Never waits: a store with row locks (PostgreSQL).</summary>
    public static readonly WriterGate Open = new(null);

    /// <summary>One writer at a time (SQLite).</summary>
    public static WriterGate SingleWriter() => new(new SemaphoreSlim(1, 1));

    /// <summary>True where writers take turns (SQLite); false where the gate is always open (PostgreSQL).</summary>
    public bool TakesTurns => _single is not null;

    /// <summary>Waits for the writer's turn; disposing the result hands the turn on.</summary>
    public async ValueTask<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        if (_single is null)
            return default;
        await _single.WaitAsync(cancellationToken);
        return new Turn(_single);
    }

    public readonly struct Turn(SemaphoreSlim? held) : IDisposable
    {
        public void Dispose() => held?.Release();
    }
}
