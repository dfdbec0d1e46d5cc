using System.Collections.Concurrent;
using System.Security.Cryptography;
using Orchestrator.Api.Access;
using Orchestrator.Persistence;

namespace Orchestrator.Dashboard;

/// <summary>
/// The operator dashboard at <c>/</c>: one HTML page, a script and a stylesheet, embedded in the executable and
/// served from memory (no CDN, no build step). The page needs no key; the API calls it makes do.
/// </summary>
public static class DashboardEndpoints
{
    static readonly ConcurrentDictionary<string, (byte[] Body, string ETag)> Files = new(StringComparer.Ordinal);

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext http) => Serve(http, "index.html", "text/html; charset=utf-8"))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/dashboard/app.js", (HttpContext http) => Serve(http, "app.js", "text/javascript; charset=utf-8"))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/dashboard/app.css", (HttpContext http) => Serve(http, "app.css", "text/css; charset=utf-8"))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/api/stats/throughput", Throughput).WithTags("Dashboard").WithName("Throughput")
            .RequireAuthorization(ApiScopes.Operate);
        return app;
    }

    static IResult Serve(HttpContext http, string name, string contentType)
    {
        var (body, etag) = Files.GetOrAdd(name, Load);
        if (http.Request.Headers.IfNoneMatch == etag)
            return Results.StatusCode(StatusCodes.Status304NotModified);
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:";
        return Results.Bytes(body, contentType);
    }

    static (byte[], string) Load(string name)
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream($"dashboard/{name}")
            ?? throw new InvalidOperationException($"the dashboard file '{name}' is not embedded in the executable");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var body = copy.ToArray();
        return (body, $"\"{Convert.ToHexString(SHA256.HashData(body))[..16]}\"");
    }

    /// <summary><c>GET /api/stats/throughput?minutes=60</c>: requests finished per minute, by terminal state, oldest first.</summary>
    static async Task<IResult> Throughput(OrchestratorDbContext db, TimeProvider clock, int? minutes, CancellationToken cancellationToken)
    {
        var span = minutes ?? 60;
        if (span is < 1 or > 1440)
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid minutes", detail: "minutes must be between 1 and 1440");
        var now = clock.GetUtcNow().UtcDateTime;
        var start = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc).AddMinutes(1 - span);
        var counts = await ThroughputStats.PerMinuteAsync(db, start, cancellationToken);
        var buckets = Enumerable.Range(0, span).Select(i => new MinuteThroughput(start.AddMinutes(i), 0, 0, 0)).ToArray();
        foreach (var c in counts.Where(c => c.Minute >= 0 && c.Minute < span))
        {
            var b = buckets[c.Minute];
            buckets[c.Minute] = c.State switch
            {
                "Succeeded" => b with { Succeeded = b.Succeeded + c.Count },
                "Failed" => b with { Failed = b.Failed + c.Count },
                _ => b with { Cancelled = b.Cancelled + c.Count },
            };
        }
        return Results.Ok(new ThroughputView(start, now, buckets));
    }
}

/// <summary>The answer of <c>GET /api/stats/throughput</c>.</summary>
public sealed record ThroughputView(DateTime From, DateTime To, IReadOnlyList<MinuteThroughput> Minutes);

/// <summary>Requests that reached each terminal state in the minute starting at <see cref="Start"/>.</summary>
public sealed record MinuteThroughput(DateTime Start, int Succeeded, int Failed, int Cancelled);
