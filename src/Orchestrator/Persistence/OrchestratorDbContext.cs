using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Orchestrator.StateMachines;

namespace Orchestrator.Persistence;

/// <summary>
/// The saga tables. Names are snake_case so operators can query them with psql without quoting; the schema itself
/// comes from the SQL files in <c>migrations/</c>, never from EF.
/// </summary>
public sealed class OrchestratorDbContext(DbContextOptions<OrchestratorDbContext> options) : DbContext(options)
{
    /// <summary>EF Core's name for the PostgreSQL provider (<see cref="Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade.ProviderName"/>).</summary>
    public const string PostgresProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";

    public DbSet<InferenceRequestState> Requests => Set<InferenceRequestState>();
    public DbSet<AttemptRecord> Attempts => Set<AttemptRecord>();
    public DbSet<DeadLetters.DeadLetter> DeadLetters => Set<DeadLetters.DeadLetter>();
    public DbSet<Batches.BatchRecord> Batches => Set<Batches.BatchRecord>();
    public DbSet<Callbacks.CallbackEvent> CallbackEvents => Set<Callbacks.CallbackEvent>();
    public DbSet<Callbacks.CallbackDelivery> CallbackDeliveries => Set<Callbacks.CallbackDelivery>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var postgres = Database.ProviderName == PostgresProvider;

        modelBuilder.Entity<InferenceRequestState>(e =>
        {
            e.ToTable("inference_requests");
            e.HasKey(x => x.CorrelationId);
            e.Property(x => x.CorrelationId).HasColumnName("correlation_id").ValueGeneratedNever();
            // Nullable: InsertOnInitial writes the row before the first transition names a state.
            e.Property(x => x.CurrentState).HasColumnName("state").HasMaxLength(32).IsRequired(false);
            e.Property(x => x.RequestId).HasColumnName("request_id").HasMaxLength(128);
            var generation = e.Property(x => x.Generation).HasColumnName("generation");
            if (postgres)
            {
                // Numbered by the INSERT's trigger (migration 0013) and read back from its RETURNING clause.
                generation.ValueGeneratedOnAdd();
                generation.Metadata.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
                generation.Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);
            }
            e.Property(x => x.Model).HasColumnName("model");
            e.Property(x => x.Priority).HasColumnName("priority");
            e.Property(x => x.Payload).HasColumnName("payload");
            e.Property(x => x.PayloadHash).HasColumnName("payload_hash");
            e.Property(x => x.SourceService).HasColumnName("source_service");
            e.Property(x => x.Metadata).HasColumnName("metadata");
            e.Property(x => x.Attempt).HasColumnName("attempt");
            e.Property(x => x.FailureKind).HasColumnName("failure_kind");
            e.Property(x => x.Reason).HasColumnName("reason");
            e.Property(x => x.Output).HasColumnName("output");
            e.Property(x => x.FinishReason).HasColumnName("finish_reason");
            e.Property(x => x.Confidence).HasColumnName("confidence");
            e.Property(x => x.PromptTokens).HasColumnName("prompt_tokens");
            e.Property(x => x.CompletionTokens).HasColumnName("completion_tokens");
            e.Property(x => x.Deadline).HasColumnName("deadline");
            e.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at");
            e.Property(x => x.RetryToken).HasColumnName("retry_token");
            e.Property(x => x.AttemptTimeoutAt).HasColumnName("attempt_timeout_at");
            e.Property(x => x.LastBackoffMs).HasColumnName("last_backoff_ms");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.Property(x => x.CompletedAt).HasColumnName("completed_at");
            e.Property(x => x.Decision).HasColumnName("decision");
            e.Property(x => x.PausedAt).HasColumnName("paused_at");
            e.Property(x => x.HeldUntil).HasColumnName("held_until");
            e.Property(x => x.HeldReason).HasColumnName("held_reason");
            e.Property(x => x.Run).HasColumnName("run");
            e.Property(x => x.AttemptBase).HasColumnName("attempt_base");
            e.Property(x => x.TraceParent).HasColumnName("trace_parent").HasMaxLength(64);
            e.Property(x => x.BatchId).HasColumnName("batch_id").HasMaxLength(128);
            e.Property(x => x.CustomId).HasColumnName("custom_id");
            e.Property(x => x.BatchLine).HasColumnName("batch_line");
            e.Property(x => x.CallbackUrl).HasColumnName("callback_url");
            e.Property(x => x.Version).HasColumnName("version").IsConcurrencyToken();
            if (postgres)
            {
                // jsonb lets operators query inside the payload (payload->'messages'); Npgsql must send it typed.
                e.Property(x => x.Payload).HasColumnType("jsonb");
                e.Property(x => x.Metadata).HasColumnType("jsonb");
            }
            e.HasMany(x => x.Attempts).WithOne().HasForeignKey(x => x.CorrelationId).OnDelete(DeleteBehavior.Cascade);
            e.Navigation(x => x.Attempts).AutoInclude(false);
        });

        modelBuilder.Entity<DeadLetters.DeadLetter>(e =>
        {
            e.ToTable("dead_letters");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.ReceivedAt).HasColumnName("received_at");
            e.Property(x => x.Queue).HasColumnName("queue");
            e.Property(x => x.SourceQueue).HasColumnName("source_queue");
            e.Property(x => x.Kind).HasColumnName("kind");
            e.Property(x => x.MessageId).HasColumnName("message_id");
            e.Property(x => x.MessageType).HasColumnName("message_type");
            e.Property(x => x.RequestId).HasColumnName("request_id");
            e.Property(x => x.Reason).HasColumnName("reason");
            e.Property(x => x.ContentType).HasColumnName("content_type");
            e.Property(x => x.Headers).HasColumnName("headers");
            e.Property(x => x.Body).HasColumnName("body");
            e.Property(x => x.Status).HasColumnName("status");
            e.Property(x => x.ResolvedAt).HasColumnName("resolved_at");
            e.Property(x => x.ResolvedBy).HasColumnName("resolved_by");
        });

        modelBuilder.Entity<Batches.BatchRecord>(e =>
        {
            e.ToTable("batches");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").HasMaxLength(128).ValueGeneratedNever();
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.Total).HasColumnName("total");
            e.Property(x => x.Priority).HasColumnName("priority");
            e.Property(x => x.CompletionWindow).HasColumnName("completion_window");
            e.Property(x => x.CancelledAt).HasColumnName("cancelled_at");
            e.Property(x => x.ReopenedAt).HasColumnName("reopened_at");
            e.Property(x => x.CompletedAt).HasColumnName("completed_at");
            e.Property(x => x.CompletionRun).HasColumnName("completion_run");
            e.Property(x => x.PublishedAt).HasColumnName("published_at");
            e.Property(x => x.CallbackUrl).HasColumnName("callback_url");
        });

        modelBuilder.Entity<AttemptRecord>(e =>
        {
            e.ToTable("inference_attempts");
            e.HasKey(x => new { x.CorrelationId, x.Attempt });
            e.Property(x => x.CorrelationId).HasColumnName("correlation_id");
            e.Property(x => x.Attempt).HasColumnName("attempt").ValueGeneratedNever();
            e.Property(x => x.WorkerId).HasColumnName("worker_id");
            e.Property(x => x.Endpoint).HasColumnName("endpoint");
            e.Property(x => x.StartedAt).HasColumnName("started_at");
            e.Property(x => x.FinishedAt).HasColumnName("finished_at");
            e.Property(x => x.Outcome).HasColumnName("outcome");
            e.Property(x => x.FailureKind).HasColumnName("failure_kind");
            e.Property(x => x.Cause).HasColumnName("cause");
            e.Property(x => x.ScheduledFor).HasColumnName("scheduled_for");
            e.Property(x => x.FiredAt).HasColumnName("fired_at");
            e.Property(x => x.RetryAfterMs).HasColumnName("retry_after_ms");
            e.Property(x => x.StaleResult).HasColumnName("stale_result");
            e.Property(x => x.HttpStatus).HasColumnName("http_status");
            e.Property(x => x.LatencyMs).HasColumnName("latency_ms");
            e.Property(x => x.Reason).HasColumnName("reason");
            e.Property(x => x.BackoffMs).HasColumnName("backoff_ms");
            e.Property(x => x.PromptTokens).HasColumnName("prompt_tokens");
            e.Property(x => x.CompletionTokens).HasColumnName("completion_tokens");
        });

        MapCallbacks(modelBuilder);
    }

    static void MapCallbacks(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Callbacks.CallbackEvent>(e =>
        {
            e.ToTable("callback_events");
            e.HasKey(x => x.EventId);
            e.Property(x => x.EventId).HasColumnName("event_id").ValueGeneratedNever();
            e.Property(x => x.CorrelationId).HasColumnName("correlation_id");
            e.Property(x => x.RequestId).HasColumnName("request_id");
            e.Property(x => x.Type).HasColumnName("type");
            e.Property(x => x.Url).HasColumnName("url");
            e.Property(x => x.Body).HasColumnName("body");
            e.Property(x => x.State).HasColumnName("state");
            e.Property(x => x.Attempts).HasColumnName("attempts");
            e.Property(x => x.AttemptBase).HasColumnName("attempt_base");
            e.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at");
            e.Property(x => x.ExpiresAt).HasColumnName("expires_at");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.DeliveredAt).HasColumnName("delivered_at");
            e.Property(x => x.LastStatus).HasColumnName("last_status");
            e.Property(x => x.LastError).HasColumnName("last_error");
        });

        modelBuilder.Entity<Callbacks.CallbackDelivery>(e =>
        {
            e.ToTable("callback_deliveries");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.EventId).HasColumnName("event_id");
            e.Property(x => x.CorrelationId).HasColumnName("correlation_id");
            e.Property(x => x.Type).HasColumnName("type");
            e.Property(x => x.Attempt).HasColumnName("attempt");
            e.Property(x => x.AttemptedAt).HasColumnName("attempted_at");
            e.Property(x => x.StatusCode).HasColumnName("status_code");
            e.Property(x => x.Error).HasColumnName("error");
            e.Property(x => x.DurationMs).HasColumnName("duration_ms");
            e.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at");
        });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is UTC in and out; SQLite keeps no kind, so reads are marked UTC explicitly.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}
