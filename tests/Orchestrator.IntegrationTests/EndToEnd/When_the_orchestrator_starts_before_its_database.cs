using Orchestrator.IntegrationTests.Infrastructure;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>
/// The orchestrator starting while PostgreSQL is not there yet, or not migrated yet: it waits (saying why) instead of
/// crashing, starts once the database is ready, and gives up with a clear message and exit code 3 after
/// <c>Orchestrator:StartupTimeout</c>.
/// </summary>
public sealed class When_the_orchestrator_starts_before_its_database
{
    static Dictionary<string, string> Settings(string connectionString, string timeout) => new()
    {
        ["Orchestrator__Store"] = "Postgres",
        ["Orchestrator__SimulatedModel"] = "true",
        ["Orchestrator__StartupTimeout"] = timeout,
        ["ConnectionStrings__Postgres"] = connectionString,
        // The test processes log warnings only; the start-up's own lines are wanted here.
        ["Logging__LogLevel__Orchestrator.Startup"] = "Information",
    };

    [Fact]
    public async Task Should_give_up_with_exit_code_3_and_the_reason_when_the_database_never_answers()
    {
        var nobody = $"Host=127.0.0.1;Port={ChildProcess.FreePort()};Database=none;Username=none;Password=none;Timeout=2";
        await using var server = ChildProcess.Start("no-database", RepoPaths.Orchestrator, ["--urls", $"http://127.0.0.1:{ChildProcess.FreePort()}"],
            Settings(nobody, "00:00:03"));
        Assert.Equal(3, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("orchestrator: cannot start: Postgres unreachable", server.Output, StringComparison.Ordinal);
        Assert.Contains("Orchestrator:StartupTimeout", server.Output, StringComparison.Ordinal);
        Assert.Contains("Waiting for the store", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_wait_for_the_migration_and_start_once_it_is_done()
    {
        await using var database = new PostgresTestDatabase();
        await database.InitializeAsync();
        var url = $"http://127.0.0.1:{ChildProcess.FreePort()}/";
        await using var server = ChildProcess.Start("before-migrate", RepoPaths.Orchestrator, ["--urls", url],
            Settings(database.AppConnectionString, "00:02:00"));
        await Eventually.Until(() => Task.FromResult(server.Output), o => o.Contains("lacks migrations", StringComparison.Ordinal) || server.HasExited,
            TimeSpan.FromSeconds(60), "the orchestrator saying it waits for the migrations");
        Assert.False(server.HasExited, server.Output);

        var (code, output) = await ChildProcess.RunAsync("migrate", RepoPaths.Orchestrator, ["migrate"], new Dictionary<string, string>
        {
            ["Orchestrator__Store"] = "Postgres",
            ["ConnectionStrings__Postgres"] = database.AppConnectionString,
            ["ConnectionStrings__PostgresMigrations"] = database.ConnectionString,
        }, null, TimeSpan.FromSeconds(90));
        Assert.True(code == 0, output);
        await server.WaitUntilHealthyAsync(url + "health/ready", TimeSpan.FromSeconds(60));
        // The console logger writes from a queue of its own: the line may trail the first answer a little.
        await Eventually.Until(() => Task.FromResult(server.Output), o => o.Contains("The store is ready after", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the start-up log saying how long it waited");
    }
}
