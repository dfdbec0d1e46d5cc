using System.Buffers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Orchestrator.Persistence;
using Orchestrator.StateMachines;

namespace Orchestrator.Batches;

/// <summary>
/// A batch's results file in OpenAI's Batch output format, one line per finished request (Succeeded, Failed,
/// Cancelled), in the input's line order: read a page at a time by line number and written as it is read, so memory
/// stays flat whatever the batch's size.
/// </summary>
public static class BatchResults
{
    const int Page = 500;

    /// <summary>One result line's columns.</summary>
    public sealed record Row(string RequestId, string? CustomId, int Line, string? State, string Model, string? Output, string? FinishReason,
        int? PromptTokens, int? CompletionTokens, DateTime? CompletedAt, DateTime UpdatedAt, string? FailureKind, string? Reason);

    public static async Task WriteAsync(OrchestratorDbContext db, string batchId, Stream output, CancellationToken cancellationToken)
    {
        var after = 0;
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        await using var json = new Utf8JsonWriter(buffer);
        while (true)
        {
            var rows = await db.Requests.AsNoTracking()
                .Where(x => x.BatchId == batchId && x.BatchLine > after &&
                            (x.CurrentState == RequestStates.Succeeded || x.CurrentState == RequestStates.Failed || x.CurrentState == RequestStates.Cancelled))
                .OrderBy(x => x.BatchLine).Take(Page)
                .Select(x => new Row(x.RequestId, x.CustomId, x.BatchLine!.Value, x.CurrentState, x.Model, x.Output, x.FinishReason,
                    x.PromptTokens, x.CompletionTokens, x.CompletedAt, x.UpdatedAt, x.FailureKind, x.Reason))
                .ToListAsync(cancellationToken);
            if (rows.Count == 0)
                break;
            buffer.ResetWrittenCount();
            foreach (var row in rows)
            {
                json.Reset(buffer);
                Write(json, row);
                json.Flush();
                buffer.Write("\n"u8);
            }
            await output.WriteAsync(buffer.WrittenMemory, cancellationToken);
            await output.FlushAsync(cancellationToken);
            after = rows[^1].Line;
        }
    }

    /// <summary>
    /// <c>{"id", "custom_id", "response": {"status_code": 200, "request_id", "body": chat.completion}, "error": null}</c>,
    /// or <c>{"id", "custom_id", "response": null, "error": {"code", "message"}}</c> with the failure kind and reason.
    /// </summary>
    public static void Write(Utf8JsonWriter json, Row row)
    {
        json.WriteStartObject();
        json.WriteString("id", row.RequestId);
        json.WriteString("custom_id", row.CustomId);
        if (row.State == RequestStates.Succeeded)
        {
            json.WriteStartObject("response");
            json.WriteNumber("status_code", 200);
            json.WriteString("request_id", row.RequestId);
            json.WriteStartObject("body");
            json.WriteString("id", "chatcmpl-" + row.RequestId);
            json.WriteString("object", "chat.completion");
            json.WriteNumber("created", new DateTimeOffset(row.CompletedAt ?? row.UpdatedAt, TimeSpan.Zero).ToUnixTimeSeconds());
            json.WriteString("model", row.Model);
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            json.WriteString("content", row.Output);
            json.WriteEndObject();
            json.WriteNull("logprobs");
            json.WriteString("finish_reason", row.FinishReason ?? "stop");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("usage");
            json.WriteNumber("prompt_tokens", row.PromptTokens ?? 0);
            json.WriteNumber("completion_tokens", row.CompletionTokens ?? 0);
            json.WriteNumber("total_tokens", (row.PromptTokens ?? 0) + (row.CompletionTokens ?? 0));
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteNull("error");
        }
        else
        {
            json.WriteNull("response");
            json.WriteStartObject("error");
            json.WriteString("code", row.FailureKind ?? row.State);
            json.WriteString("message", row.Reason ?? row.State);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }
}
