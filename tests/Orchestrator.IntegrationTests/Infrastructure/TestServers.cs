namespace Orchestrator.IntegrationTests.Infrastructure;

/// <summary>
/// The real servers the integration tests use, started by <c>./scripts/test.sh</c> (which sets these variables).
/// A missing variable fails the test with the way to fix it, never skips it.
/// </summary>
public static class TestServers
{
    public static string PostgresOwner => Required("ORCH_TEST_POSTGRES");

    /// <summary>The runtime role: DML only, granted by <c>orchestrator migrate</c>; it cannot change the schema.</summary>
    public static string PostgresApp => Required("ORCH_TEST_POSTGRES_APP");
    public static string RabbitMq => Required("ORCH_TEST_RABBITMQ");

    /// <summary>The broker users of the production shape, each with only its role's rights (scripts/broker-roles.sh).</summary>
    public static string RabbitMqOrchestrator => Required("ORCH_TEST_RABBITMQ_ORCHESTRATOR");

    public static string RabbitMqWorker => Required("ORCH_TEST_RABBITMQ_WORKER");

    public static string RabbitMqSubmitter => Required("ORCH_TEST_RABBITMQ_SUBMITTER");

    static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set: run the tests through ./scripts/test.sh, which starts PostgreSQL and RabbitMQ and sets it " +
                "(or run scripts/infra-up.sh and source the env file it prints).");
}
