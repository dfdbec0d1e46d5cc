using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orchestrator.Contracts;
using Orchestrator.Hosting;
using Orchestrator.IntegrationTests.EndToEnd;
using Orchestrator.IntegrationTests.Infrastructure;
using Orchestrator.Persistence;
using Orchestrator.Scheduling;
using Orchestrator.StateMachines;
using RabbitMQ.Client;

namespace Orchestrator.IntegrationTests.Scheduling;

/// <summary>
/// A dispatched attempt that no worker has started is timed out by its schedule-to-close clock only when the attempt
/// queue holds no backlog: behind one, it waits its turn (its clock starts again), so a backlog larger than the fleet
/// serves in that time is not dispatched again en masse. Without a backlog the timeout still repairs a lost dispatch.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_attempts_wait_behind_a_backlog : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("orch-backlog-").FullName;

    string Database => new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "test.db"), Pooling = true, DefaultTimeout = 30 }.ToString();

    string Quartz => new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "quartz.db"), Pooling = true, DefaultTimeout = 30 }.ToString();

    sealed class Backlog(bool waiting) : IAttemptBacklog
    {
        public int Asked { get; private set; }

        public Task<bool> HasBacklogAsync(CancellationToken cancellationToken)
        {
            Asked++;
            return Task.FromResult(waiting);
        }
    }

    /// <summary>
    /// A host whose own sweep and poller sleep (their first pass, at start, finds nothing due), and a Pending attempt 1
    /// that passes its schedule-to-close timeout a moment later.
    /// </summary>
    async Task<(SagaHost Host, string Id, DateTime TimedOutAt)> StartWithADueAttemptAsync()
    {
        var host = await SagaHost.StartAsync(StoreKind.Sqlite, Database, Quartz, new Dictionary<string, string?>
        {
            ["Orchestrator:Timers:SweepInterval"] = "01:00:00",
            ["Orchestrator:Timers:RetryPollInterval"] = "01:00:00",
            ["Orchestrator:Timers:IdlePollInterval"] = "01:00:00",
        });
        var id = $"backlog-{Guid.NewGuid():N}"[..20];
        var timedOutAt = DateTime.UtcNow.AddSeconds(3);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var saga = InferenceRequestState.Create(new InferenceRequested
        {
            RequestId = id,
            Model = "sim",
            Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("waiting " + id)] }],
        }, DateTime.UtcNow);
        scope.ServiceProvider.GetRequiredService<InferenceRequestStateMachine>().Admit(saga);
        saga.AttemptTimeoutAt = timedOutAt;
        db.Requests.Add(saga);
        await db.SaveChangesAsync();
        // Waiting out the timeout is the scenario, not a guess at an outcome.
        var wait = timedOutAt - DateTime.UtcNow + TimeSpan.FromMilliseconds(100);
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
        return (host, id, timedOutAt);
    }

    static Task SweepAsync(SagaHost host, IAttemptBacklog backlog) =>
        ActivatorUtilities.CreateInstance<TimerSweepJob>(host.Services, backlog).Execute(null!, CancellationToken.None).AsTask();

    [Fact]
    public async Task Should_start_the_clock_again_for_an_attempt_waiting_behind_a_backlog()
    {
        var (host, id, timedOutAt) = await StartWithADueAttemptAsync();
        await using var lifetime = host;
        var backlog = new Backlog(waiting: true);
        var before = await host.FindAsync(id);

        await SweepAsync(host, backlog);

        Assert.Equal(1, backlog.Asked);
        var row = await host.FindAsync(id);
        Assert.Equal(RequestStates.Pending, row!.CurrentState);
        Assert.Equal(1, row.Attempt);
        Assert.Empty(row.Attempts);
        var timeout = host.Services.GetRequiredService<IOptions<TimeoutOptions>>().Value.ScheduleToCloseTimeout;
        Assert.InRange(row.AttemptTimeoutAt!.Value, timedOutAt + timeout, DateTime.UtcNow + timeout);
        Assert.True(row.Version > before!.Version, "the extension bumps the row's version, as every write does");
    }

    [Fact]
    public async Task Should_time_out_an_attempt_no_backlog_explains()
    {
        var (host, id, _) = await StartWithADueAttemptAsync();
        await using var lifetime = host;

        await SweepAsync(host, new Backlog(waiting: false));

        var retried = await Eventually.Until(() => host.FindAsync(id), s => s?.Attempts.Any(a => a.Attempt == 1) == true,
            TimeSpan.FromSeconds(20), $"{id}'s attempt 1 recorded as timed out");
        Assert.Equal(AttemptOutcome.TimedOut, Assert.Single(retried!.Attempts).Outcome);
        Assert.Equal(RequestStates.RetryScheduled, retried.CurrentState);
    }

    [Fact]
    public async Task Should_read_the_ready_messages_of_the_attempt_queue_on_RabbitMQ()
    {
        var name = $"attempt-queue-probe-{Guid.NewGuid():N}";
        var factory = new ConnectionFactory { Uri = new Uri(TestServers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(name, durable: false, exclusive: false, autoDelete: false);
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Orchestrator:Transport"] = nameof(TransportKind.RabbitMQ),
                ["ConnectionStrings:RabbitMQ"] = TestServers.RabbitMq,
            };
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            var options = Options.Create(new OrchestratorOptions { Transport = TransportKind.RabbitMQ });
            await using var queue = new AttemptQueue(options, configuration, NullLogger<AttemptQueue>.Instance) { QueueName = name };

            Assert.Equal(0u, await queue.WaitingAsync(CancellationToken.None));
            Assert.False(await queue.HasBacklogAsync(CancellationToken.None));
            for (var i = 0; i < 3; i++)
                await channel.BasicPublishAsync("", name, new byte[] { 1 });
            await Eventually.Until(() => queue.WaitingAsync(CancellationToken.None), n => n == 3, TimeSpan.FromSeconds(10), $"3 ready in {name}");
            Assert.True(await queue.HasBacklogAsync(CancellationToken.None));

            var inMemoryOptions = Options.Create(new OrchestratorOptions { Transport = TransportKind.InMemory });
            await using var inMemory = new AttemptQueue(inMemoryOptions, configuration, NullLogger<AttemptQueue>.Instance) { QueueName = name };
            Assert.Null(await inMemory.WaitingAsync(CancellationToken.None));
            Assert.False(await inMemory.HasBacklogAsync(CancellationToken.None));
        }
        finally
        {
            await channel.QueueDeleteAsync(name);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
