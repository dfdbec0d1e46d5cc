namespace Orchestrator.Batches;

static partial class BatchLog
{
    [LoggerMessage(3030, LogLevel.Information, "Batch {BatchId} accepted: {Total} requests, checked in {CheckMs} ms, written in {WriteMs} ms")]
    public static partial void BatchAccepted(this ILogger logger, string batchId, int total, long checkMs, long writeMs);

    [LoggerMessage(3035, LogLevel.Information, "Batch {BatchId}: {Count} first attempts published in {Ms} ms")]
    public static partial void BatchDispatched(this ILogger logger, string batchId, int count, long ms);

    [LoggerMessage(3031, LogLevel.Information, "Batch {BatchId} refused: {Invalid} of {Lines} lines invalid")]
    public static partial void BatchRefused(this ILogger logger, string batchId, int invalid, int lines);

    [LoggerMessage(3032, LogLevel.Information, "Batch {BatchId} completed (completion {Run}): {Total} requests finished")]
    public static partial void BatchCompleted(this ILogger logger, string batchId, int run, int total);

    [LoggerMessage(3033, LogLevel.Warning, "Batch {BatchId}: the first attempts of {Count} requests were not confirmed by the broker; attempt 2 goes instead")]
    public static partial void BatchDispatchUnconfirmed(this ILogger logger, string batchId, int count);

    [LoggerMessage(3036, LogLevel.Warning, "Batch {BatchId}: publishing its first attempts failed; the attempts' timeouts dispatch them again")]
    public static partial void BatchDispatchFailed(this ILogger logger, Exception exception, string batchId);

    [LoggerMessage(3034, LogLevel.Warning, "Batch completion sweep failed; the next pass tries again")]
    public static partial void BatchSweepFailed(this ILogger logger, Exception exception);
}
