using Orchestrator.Persistence;
using Quartz;

namespace Orchestrator.Scheduling;

/// <summary>Quartz with its persistent job store: clustered on PostgreSQL, its own SQLite file when embedded.</summary>
public static class QuartzSetup
{
    public static IServiceCollection AddDurableTimers(this IServiceCollection services, StoreSettings store, TimerOptions timers)
    {
        services.AddSingleton<IRetryTimers, QuartzRetryTimers>();
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "orchestrator"; // the same on every node: one cluster
                o.GenerateInstanceId = true;     // a unique id per node
                // Short timers: acquire many due triggers per round trip, and look for triggers scheduled by
                // other nodes far more often than the 30 s default. No fire-ahead window: a retry must never
                // start before its backoff (or the endpoint's Retry-After) is over.
                o.MaxBatchSize = timers.ThreadCount;
                o.BatchTriggerAcquisitionFireAheadTimeWindow = TimeSpan.Zero;
                o.IdleWaitTime = timers.IdleWaitTime;
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

            q.AddJob<RetryDueJob>(j => j.WithIdentity(RetryDueJob.Key).StoreDurably().WithDescription("Tells a saga its backoff is over"));
            q.AddJob<TimerSweepJob>(j => j.WithIdentity(TimerSweepJob.Key).StoreDurably().WithDescription("Attempt timeouts, deadlines and repairs"));
            q.AddTrigger(t => t
                .WithIdentity("timer-sweep", "orchestrator")
                .ForJob(TimerSweepJob.Key)
                .StartNow()
                .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(timers.SweepInterval).RepeatForever()
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
