using MassTransit;
using Quartz;

namespace Orchestrator.Scheduling;

/// <summary>The one durable job every backoff trigger fires: it tells the saga its retry is due.</summary>
public sealed class RetryDueJob(IBus bus, TimeProvider clock) : IJob
{
    public static readonly JobKey Key = new("retry-due", "orchestrator");
    public const string RequestIdKey = "requestId";
    public const string TokenKey = "token";
    public const string DueAtKey = "dueAtTicks";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var data = context.MergedJobDataMap;
        var requestId = data.GetString(RequestIdKey);
        if (string.IsNullOrEmpty(requestId) || !Guid.TryParse(data.GetString(TokenKey), out var token))
            return; // Nothing to tell; a malformed trigger must not fire forever.

        // Job data is stored as strings (readable in the trigger table, and what the string store accepts).
        var dueAt = long.TryParse(data.GetString(DueAtKey), System.Globalization.CultureInfo.InvariantCulture, out var ticks)
            ? new DateTimeOffset(new DateTime(ticks, DateTimeKind.Utc))
            : clock.GetUtcNow();
        // A failed publish throws: Quartz logs it, and the sweep fires the retry from the saga row after the grace.
        await bus.Publish(new RetryDue
        {
            RequestId = requestId,
            Token = token,
            DueAt = dueAt,
            FiredAt = clock.GetUtcNow(),
            Source = "quartz",
        }, cancellationToken);
    }
}
