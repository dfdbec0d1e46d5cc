using System.Diagnostics.Metrics;
using MassTransit;

namespace Orchestrator.ServiceDefaults;

/// <summary>
/// Counts the messages the broker delivers again (its redelivered flag: a consumer before this one took the message
/// and stopped without acknowledging it), as <c>messaging.redelivered</c> by queue: the trace a crashed process leaves
/// in the ones that take over its work, which the chaos drill checks.
/// </summary>
public sealed class RedeliveryCountFilter(string queueName) : IFilter<ConsumeContext>
{
    public const string MeterName = "Orchestrator.Messaging";

    // One instrument per process, shared by every endpoint's filter; the meter lives as long as the process.
    static readonly Meter Meter = new(MeterName);
    static readonly Counter<long> Redelivered = Meter.CreateCounter<long>("messaging.redelivered",
        description: "Messages the broker delivered again after a consumer took them and did not acknowledge them, by queue");

    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        if (context.ReceiveContext.Redelivered)
            Redelivered.Add(1, new KeyValuePair<string, object?>("queue", queueName));
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("redeliveryCount");
}
