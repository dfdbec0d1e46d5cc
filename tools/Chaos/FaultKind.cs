namespace Orchestrator.Chaos;

/// <summary>The faults the runner injects, numbered in the order they were added.</summary>
public enum FaultKind
{
    /// <summary>SIGKILL a worker that holds a model call, start a new one.</summary>
    KillWorker = 1,

    /// <summary>SIGKILL an orchestrator, start it again.</summary>
    KillOrchestrator = 2,

    /// <summary>Stop the RabbitMQ server cleanly and start it again.</summary>
    RestartRabbitMq = 3,

    /// <summary><c>pg_ctl restart -m immediate</c>: a crash and WAL recovery.</summary>
    RestartPostgres = 4,

    /// <summary>The model answers later than the attempt timeout, then with a burst of 503s.</summary>
    ModelOutage = 5,

    /// <summary>SIGKILL the RabbitMQ server (a broker crash), start it again.</summary>
    KillRabbitMq = 6,

    /// <summary>SIGSTOP the RabbitMQ server for 20 s, then SIGCONT (a hung broker: connections open, nothing answers).</summary>
    HangRabbitMq = 7,
}
