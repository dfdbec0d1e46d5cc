using Orchestrator.Persistence;
using Quartz;

namespace Orchestrator.Scheduling;

/// <summary>
/// Durable timers: the retry poller (every node) and, for the recurring sweep, Quartz with its persistent job store
/// (clustered on PostgreSQL, so one node sweeps at a time; its own SQLite file when embedded).
/// </summary>
public static class QuartzSetup
{
    public static IServiceCollection AddDurableTimers(this IServiceCollection services, StoreSettings store, TimerOptions timers, RetentionOptions retention)
    {
        services.AddSingleton<RetryWakeups>();
        services.AddSingleton<AttemptQueue>();
        services.AddSingleton<Batches.BatchCompletionSweep>();
        services.AddSingleton<IAttemptBacklog>(sp => sp.GetRequiredService<AttemptQueue>());
        services.AddHostedService<RetryPoller>();
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "orchestrator"; // the same on every node: one cluster
                o.GenerateInstanceId = true;     // a unique id per node
            });
            q.UseDefaultThreadPool(tp => tp.MaxConcurrency = timers.ThreadCount);
            q.UsePersistentStore(s =>
            {
                if (store.Kind == StoreKind.Postgres)
                {
                    s.UsePostgres(p => p.ConnectionString = store.QuartzConnectionString);
                    s.UseClustering(c =>
                    {
                        c.CheckinInterval = TimeSpan.FromSeconds(5);
                        c.CheckinMisfireThreshold = TimeSpan.FromSeconds(15);
                    });
                }
                else
                {
                    s.UseSqlite(p => p.ConnectionString = store.QuartzConnectionString);
                }
                s.ConfigureStore(o =>
                {
                    o.TablePrefix = store.Kind == StoreKind.Postgres ? "qrtz_" : "QRTZ_";
                    o.StoreJobDataAsStrings = true;
                    o.MisfireThreshold = TimeSpan.FromSeconds(30);
                    o.DbRetryInterval = TimeSpan.FromSeconds(2);
                });
            });

            q.AddJob<TimerSweepJob>(j => j.WithIdentity(TimerSweepJob.Key).StoreDurably().WithDescription("Attempt timeouts, deadlines, repairs and finished batches"));
            q.AddTrigger(t => t
                .WithIdentity("timer-sweep", "orchestrator")
                .ForJob(TimerSweepJob.Key)
                .StartNow()
                .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(timers.SweepInterval).RepeatForever()
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)));
            q.AddJob<RetentionJob>(j => j.WithIdentity(RetentionJob.Key).StoreDurably().WithDescription("Moves finished requests past the dedupe window to the archive"));
            q.AddTrigger(t => t
                .WithIdentity("retention", "orchestrator")
                .ForJob(RetentionJob.Key)
                .StartNow()
                .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(retention.Interval).RepeatForever()
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)));
        });
        services.AddQuartzHostedService(o =>
        {
            o.WaitForJobsToComplete = true;
            // Fires publish on the bus: start only once the application (and so the bus) is up.
            o.AwaitApplicationStarted = true;
        });
        return services;
    }
}
