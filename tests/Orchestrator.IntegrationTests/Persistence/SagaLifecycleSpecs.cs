using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orchestrator.Contracts;
using Orchestrator.IntegrationTests.Infrastructure;
using Orchestrator.Persistence;
using Orchestrator.Sagas.EntityFrameworkCore;
using Orchestrator.Scheduling;
using Orchestrator.SimulatedModel;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.IntegrationTests.Persistence;

/// <summary>Insert, load and update of the real saga through our repository, on both stores.</summary>
public abstract class SagaLifecycleSpecs
{
    protected abstract StoreKind Store { get; }
    protected abstract string ConnectionString { get; }
    protected virtual string? QuartzConnectionString => null;

    static InferenceRequested Request(string id) => new()
    {
        RequestId = id,
        Model = "sim",
        Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("Hello " + id)] }],
        Metadata = new Dictionary<string, string> { ["team"] = "search" },
    };

    [Fact]
    public async Task Should_insert_load_and_update_the_saga_and_its_attempt_rows()
    {
        await using var host = await SagaHost.StartAsync(Store, ConnectionString, QuartzConnectionString);
        await host.Bus.Publish(Request("life-1"));
        var pending = await host.WaitForStateAsync("life-1", RequestStates.Pending);
        Assert.Equal(1, pending!.Attempt);
        Assert.Equal(DateTimeKind.Utc, pending.CreatedAt.Kind);
        Assert.Contains("Hello life-1", pending.Payload, StringComparison.Ordinal);

        await host.Bus.Publish(new AttemptStarted { RequestId = "life-1", Attempt = 1, WorkerId = "w1", StartedAt = DateTimeOffset.UtcNow });
        var processing = await host.WaitForStateAsync("life-1", RequestStates.Processing);
        Assert.Equal("w1", Assert.Single(processing!.Attempts).WorkerId);
        Assert.True(processing.Version > pending.Version);

        await host.Bus.Publish(new AttemptSucceeded
        {
            RequestId = "life-1",
            Attempt = 1,
            WorkerId = "w1",
            Endpoint = "sim",
            Output = "Hi",
            HttpStatus = 200,
            Usage = new TokenUsage { PromptTokens = 3, CompletionTokens = 1, TotalTokens = 4 },
            StartedAt = DateTimeOffset.UtcNow.AddMilliseconds(-50),
            FinishedAt = DateTimeOffset.UtcNow,
        });
        var done = await host.WaitForStateAsync("life-1", RequestStates.Succeeded);
        Assert.Equal("Hi", done!.Output);
        var attempt = Assert.Single(done.Attempts);
        Assert.Equal(AttemptOutcome.Succeeded, attempt.Outcome);
        Assert.Equal(3, attempt.PromptTokens);
        Assert.Equal(DateTimeKind.Utc, attempt.FinishedAt!.Value.Kind);
        Assert.True(done.Version > processing.Version);
    }

    [Fact]
    public async Task Should_store_states_as_readable_names_for_operators()
    {
        await using var host = await SagaHost.StartAsync(Store, ConnectionString, QuartzConnectionString);
        await host.Bus.Publish(Request("readable-1") with { Model = "unknown-model" });
        await host.WaitForStateAsync("readable-1", RequestStates.Failed);

        var row = await ScalarAsync("SELECT state || '/' || failure_kind FROM inference_requests WHERE request_id = 'readable-1'");
        Assert.Equal("Failed/InvalidInput", row);
    }

    [Fact]
    public async Task Should_keep_one_saga_when_two_hosts_receive_the_same_submission_at_once()
    {
        await using var a = await SagaHost.StartAsync(Store, ConnectionString, QuartzConnectionString);
        await using var b = await SagaHost.StartAsync(Store, ConnectionString, QuartzConnectionString);
        var ids = Enumerable.Range(0, 20).Select(i => $"twice-{i}").ToList();
        await Task.WhenAll(ids.SelectMany(id => new[] { a.Bus.Publish(Request(id)), b.Bus.Publish(Request(id)) }));

        foreach (var id in ids)
            Assert.Equal(RequestStates.Pending, (await a.WaitForStateAsync(id, RequestStates.Pending))!.CurrentState);
        var count = await ScalarAsync("SELECT CAST(COUNT(*) AS TEXT) FROM inference_requests WHERE request_id LIKE 'twice-%'");
        Assert.Equal("20", count);
    }

    async Task<string> ScalarAsync(string sql)
    {
        if (Store == StoreKind.Postgres)
        {
            await using var pg = new NpgsqlConnection(ConnectionString);
            await pg.OpenAsync();
            await using var command = new NpgsqlCommand(sql, pg);
            return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
        }
        await using var lite = new SqliteConnection(ConnectionString);
        await lite.OpenAsync();
        await using var liteCommand = lite.CreateCommand();
        liteCommand.CommandText = sql;
        return Convert.ToString(await liteCommand.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    static FirstDispatch Dispatch(IServiceProvider services, OrchestratorDbContext db, IPublishEndpoint publish) =>
        new(db, publish, services.GetRequiredService<WriterGate>(), services.GetRequiredService<RetryWakeups>(), TimeProvider.System, NullLogger.Instance);

    /// <summary>A new row, admitted and committed as the API does it; returns its first attempt's command.</summary>
    static async Task<(InferenceRequestState Saga, InvokeModel Invocation)> AdmitAsync(IServiceProvider services, OrchestratorDbContext db, string id)
    {
        var saga = InferenceRequestState.Create(Request(id), DateTime.UtcNow);
        var invocation = services.GetRequiredService<InferenceRequestStateMachine>().Admit(saga);
        Assert.NotNull(invocation);
        db.Requests.Add(saga);
        await db.SaveChangesAsync();
        return (saga, invocation);
    }

    [Fact]
    public async Task Should_count_a_first_attempt_the_broker_refused_as_made_and_dispatch_the_second_from_the_retry_poller()
    {
        await using var host = await SagaHost.StartAsync(Store, ConnectionString, QuartzConnectionString);
        var id = $"refused-{Guid.NewGuid():N}"[..20];
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
            var (saga, invocation) = await AdmitAsync(scope.ServiceProvider, db, id);
            await Submissions.DispatchAsync(Dispatch(scope.ServiceProvider, db, RefusingPublishEndpoint.Create()), saga, invocation);
        }

        // The poller takes the retry at once: attempt 2 is dispatched, and attempt 1 is on record as not confirmed.
        var pending = await Eventually.Until(() => host.FindAsync(id), s => s is { CurrentState: RequestStates.Pending, Attempt: 2 },
            TimeSpan.FromSeconds(20), $"{id} pending with attempt 2");
        Assert.NotNull(pending!.AttemptTimeoutAt);
        var first = Assert.Single(pending.Attempts, a => a.Attempt == 1);
        Assert.Equal((AttemptOutcome.Failed, "Transient", InferenceRequestState.DispatchUnconfirmedCause), (first.Outcome, first.FailureKind, first.Cause));
        Assert.Contains("the broker refused the message (test double)", first.Reason, StringComparison.Ordinal);
        Assert.NotNull(first.FiredAt);
    }

    /// <summary>
    /// The publish is reported failed (its confirm never came) but the broker delivers it after all, once attempt 2 is
    /// done: the model is called twice, and both calls are attempts on record, the late one's answer on its own row.
    /// </summary>
    [Fact]
    public async Task Should_record_the_late_answer_of_a_first_attempt_delivered_after_all_on_its_row_and_call_the_model_once_per_attempt()
    {
        await using var model = await SimulatedModelServer.StartAsync(new SimulatedModelOptions());
        await using var host = await SagaHost.StartAsync(Store, ConnectionString, QuartzConnectionString, new Dictionary<string, string?>
        {
            ["Orchestrator:EmbeddedWorkers"] = "true",
            ["Workers:Models:sim:Endpoints:0:Name"] = "sim",
            ["Workers:Models:sim:Endpoints:0:BaseUrl"] = model.BaseAddress.ToString(),
        });
        var id = $"unconfirmed-{Guid.NewGuid():N}"[..24];
        var broker = UnconfirmedPublishEndpoint.Create();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
            var (saga, invocation) = await AdmitAsync(scope.ServiceProvider, db, id);
            await Submissions.DispatchAsync(Dispatch(scope.ServiceProvider, db, broker.Endpoint), saga, invocation);
        }
        Assert.Equal(1, broker.Held);

        var succeeded = await Eventually.Until(() => host.FindAsync(id), s => s?.CurrentState == RequestStates.Succeeded,
            TimeSpan.FromSeconds(30), $"{id} succeeded with attempt 2");
        Assert.Equal(2, succeeded!.Attempt);
        Assert.Equal(1, model.Stats.CallsFor(id));

        // Attempt 1's command reaches the worker now.
        await broker.DeliverAsync(host.Bus);
        var done = await Eventually.Until(() => host.FindAsync(id), s => s?.Attempts.Find(a => a.Attempt == 1)?.StaleResult is not null,
            TimeSpan.FromSeconds(30), $"{id}'s late answer of attempt 1 on its row");
        Assert.Equal(RequestStates.Succeeded, done!.CurrentState);
        Assert.Equal(2, done.Attempt);
        Assert.Equal(2, model.Stats.CallsFor(id));
        Assert.Equal([1, 2], done.Attempts.Select(a => a.Attempt).Order());
        var first = done.Attempts.Single(a => a.Attempt == 1);
        Assert.Equal((AttemptOutcome.Failed, InferenceRequestState.DispatchUnconfirmedCause, "Succeeded"), (first.Outcome, first.Cause, first.StaleResult));
        Assert.Equal(AttemptOutcome.Succeeded, done.Attempts.Single(a => a.Attempt == 2).Outcome);
    }

    [Fact]
    public async Task Should_leave_a_request_alone_when_its_first_attempt_got_through_after_all()
    {
        await using var host = await SagaHost.StartAsync(Store, ConnectionString, QuartzConnectionString);
        var id = $"through-{Guid.NewGuid():N}"[..20];
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
        var saga = InferenceRequestState.Create(Request(id), DateTime.UtcNow);
        var invocation = scope.ServiceProvider.GetRequiredService<InferenceRequestStateMachine>().Admit(saga);
        db.Requests.Add(saga);
        await db.SaveChangesAsync();

        // The publish timed out on our side, yet the broker had the command, and the worker's result is recorded.
        await host.Bus.Publish(new AttemptSucceeded
        {
            RequestId = id,
            Attempt = 1,
            WorkerId = "w1",
            Endpoint = "sim",
            Output = "Hi",
            HttpStatus = 200,
            StartedAt = DateTimeOffset.UtcNow.AddMilliseconds(-50),
            FinishedAt = DateTimeOffset.UtcNow,
        });
        await host.WaitForStateAsync(id, RequestStates.Succeeded);
        await Submissions.DispatchAsync(Dispatch(scope.ServiceProvider, db, RefusingPublishEndpoint.Create()), saga, invocation!);

        var row = await host.FindAsync(id);
        Assert.Equal(RequestStates.Succeeded, row!.CurrentState);
        Assert.Equal(1, row.Attempt);
    }

    [Fact]
    public async Task Should_count_a_retry_the_broker_did_not_confirm_and_dispatch_the_next_one()
    {
        // The host's own poller sleeps (its first pass finds nothing due); the test's poller, whose broker takes
        // nothing, fires the retry.
        await using var host = await SagaHost.StartAsync(Store, ConnectionString, QuartzConnectionString, new Dictionary<string, string?>
        {
            ["Orchestrator:Timers:RetryPollInterval"] = "01:00:00",
            ["Orchestrator:Timers:IdlePollInterval"] = "01:00:00",
        });
        var id = $"undispatched-{Guid.NewGuid():N}"[..24];
        var dueAt = DateTime.UtcNow.AddSeconds(2);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrchestratorDbContext>();
            var saga = InferenceRequestState.Create(Request(id), DateTime.UtcNow);
            scope.ServiceProvider.GetRequiredService<InferenceRequestStateMachine>().Admit(saga);
            saga.RecordFailure(new AttemptFailed
            {
                RequestId = id,
                Attempt = 1,
                WorkerId = "w1",
                Kind = FailureKind.Transient,
                Cause = "http-503",
                Reason = "HTTP 503",
                StartedAt = DateTimeOffset.UtcNow.AddMilliseconds(-50),
                FinishedAt = DateTimeOffset.UtcNow,
            });
            saga.EndAttempt(DateTime.UtcNow);
            saga.ScheduleRetry(TimeSpan.FromSeconds(2), dueAt, nameof(FailureKind.Transient), "HTTP 503");
            saga.CurrentState = RequestStates.RetryScheduled;
            db.Requests.Add(saga);
            await db.SaveChangesAsync();
        }
        // Waiting out the backoff is the scenario, not a guess at an outcome.
        var wait = dueAt - DateTime.UtcNow + TimeSpan.FromMilliseconds(100);
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);

        var refusing = ActivatorUtilities.CreateInstance<RetryPoller>(host.Services, RefusingPublishEndpoint.CreateBus());
        var settings = host.Services.GetRequiredService<IOptions<TimerOptions>>().Value;
        Assert.Equal(1, await refusing.FireDueAsync(settings, CancellationToken.None));

        var ended = await host.FindAsync(id);
        Assert.Equal(RequestStates.RetryScheduled, ended!.CurrentState);
        Assert.Equal(2, ended.Attempt);
        var unconfirmed = Assert.Single(ended.Attempts, a => a.Attempt == 2);
        Assert.Equal(AttemptOutcome.Failed, unconfirmed.Outcome);
        Assert.Equal(InferenceRequestState.DispatchUnconfirmedCause, unconfirmed.Cause);
        Assert.InRange(ended.NextAttemptAt!.Value - unconfirmed.FinishedAt!.Value, RetryPoller.UnconfirmedRetryDelay, RetryPoller.UnconfirmedRetryDelay);

        // Once its time comes, a poller whose broker takes the command dispatches attempt 3.
        var delay = ended.NextAttemptAt.Value - DateTime.UtcNow + TimeSpan.FromMilliseconds(100);
        if (delay > TimeSpan.Zero)
            await Task.Delay(delay);
        var working = ActivatorUtilities.CreateInstance<RetryPoller>(host.Services);
        Assert.Equal(1, await working.FireDueAsync(settings, CancellationToken.None));
        var next = await host.FindAsync(id);
        Assert.Equal(RequestStates.Pending, next!.CurrentState);
        Assert.Equal(3, next.Attempt);
    }
}

public sealed class On_PostgreSQL(PostgresTestDatabase database) : SagaLifecycleSpecs, IClassFixture<PostgresTestDatabase>
{
    protected override StoreKind Store => StoreKind.Postgres;
    protected override string ConnectionString => database.ConnectionString;
}

public sealed class On_SQLite : SagaLifecycleSpecs, IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("orch-sqlite-").FullName;

    protected override StoreKind Store => StoreKind.Sqlite;
    protected override string ConnectionString =>
        new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "test.db"), Pooling = true, DefaultTimeout = 30 }.ToString();
    protected override string QuartzConnectionString =>
        new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "quartz.db"), Pooling = true, DefaultTimeout = 30 }.ToString();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
