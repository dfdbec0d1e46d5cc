using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orchestrator.ServiceDefaults;

namespace Orchestrator.Tests.Access;

/// <summary>/health/ready is open to anyone: what went wrong (an exception's message can name hosts and users) is for operators.</summary>
public sealed class HealthReportSpecs
{
    static readonly HealthReport Report = new(new Dictionary<string, HealthReportEntry>
    {
        ["store"] = new(HealthStatus.Unhealthy, "PostgreSQL unreachable", TimeSpan.FromMilliseconds(3),
            new InvalidOperationException("password authentication failed for user \"orchestrator_app\" at db.internal:5432"), null),
        ["scheduler"] = new(HealthStatus.Healthy, "the Quartz scheduler runs", TimeSpan.FromMilliseconds(1), null, null),
    }, TimeSpan.FromMilliseconds(4));

    static async Task<string> Write(bool detail)
    {
        var http = new DefaultHttpContext();
        using var body = new MemoryStream();
        http.Response.Body = body;
        await HealthReportWriter.WriteAsync(http, Report, detail);
        Assert.Equal("application/json", http.Response.ContentType);
        return System.Text.Encoding.UTF8.GetString(body.ToArray());
    }

    [Fact]
    public async Task Should_give_anyone_the_status_of_each_check_and_nothing_more()
    {
        Assert.Equal("""{"status":"Unhealthy","checks":{"store":{"status":"Unhealthy"},"scheduler":{"status":"Healthy"}}}""", await Write(detail: false));
    }

    [Fact]
    public async Task Should_give_an_operator_each_checks_description_and_error()
    {
        using var json = JsonDocument.Parse(await Write(detail: true));
        var store = json.RootElement.GetProperty("checks").GetProperty("store");
        Assert.Equal("Unhealthy", store.GetProperty("status").GetString());
        Assert.Equal("PostgreSQL unreachable", store.GetProperty("description").GetString());
        Assert.Equal("password authentication failed for user \"orchestrator_app\" at db.internal:5432", store.GetProperty("error").GetString());
        var scheduler = json.RootElement.GetProperty("checks").GetProperty("scheduler");
        Assert.Equal("the Quartz scheduler runs", scheduler.GetProperty("description").GetString());
        Assert.False(scheduler.TryGetProperty("error", out _));
    }
}
