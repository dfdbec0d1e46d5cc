using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Orchestrator.ServiceDefaults;

/// <summary>
/// Health as JSON: the overall status and each check's status for everyone; with <c>detail</c>, also each check's
/// description and the message of the exception it caught, which is what an operator reads when a probe fails.
/// </summary>
public static class HealthReportWriter
{
    static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static Task WriteAsync(HttpContext context, HealthReport report, bool detail)
    {
        context.Response.ContentType = "application/json";
        var checks = report.Entries.ToDictionary(e => e.Key, e => detail
            ? (object)new { status = e.Value.Status.ToString(), description = e.Value.Description, error = e.Value.Exception?.Message }
            : new { status = e.Value.Status.ToString() });
        return JsonSerializer.SerializeAsync(context.Response.Body, new { status = report.Status.ToString(), checks }, Json,
            context.RequestAborted);
    }
}
