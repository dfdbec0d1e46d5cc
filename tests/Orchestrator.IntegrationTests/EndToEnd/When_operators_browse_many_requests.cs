using System.Net;
using System.Text.Json;

namespace Orchestrator.IntegrationTests.EndToEnd;

/// <summary>The list's filters and keyset paging over 5,000 rows, checked against the same question asked in SQL.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class When_operators_browse_many_requests(ProductionShapeFixture app) : IClassFixture<ProductionShapeFixture>
{
    [Fact]
    public async Task Should_filter_and_page_through_5000_requests_exactly()
    {
        // 5,000 finished requests with varied states, models, failure kinds and attempt counts, created a second apart;
        // finished now, so the retention job (it archives what finished more than a day ago) leaves them alone.
        await app.Database.ExecuteAsync("""
            INSERT INTO inference_requests (correlation_id, request_id, state, model, payload, payload_hash, attempt, failure_kind,
                                            created_at, updated_at, completed_at, version)
            SELECT gen_random_uuid(), 'browse-' || lpad(i::text, 5, '0'),
                   (ARRAY['Succeeded', 'Failed', 'Cancelled'])[1 + i % 3],
                   (ARRAY['sim', 'big'])[1 + i % 2], jsonb_build_object(), repeat('0', 64), 1 + i % 4,
                   CASE WHEN i % 3 = 1 THEN (ARRAY['Transient', 'Permanent'])[1 + i % 2] END,
                   timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second',
                   timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second', now(), 1
            FROM generate_series(1, 5000) AS i
            """);
        try
        {
            async Task Check(string query, string where)
            {
                var expected = await app.Cluster.CountAsync($"request_id LIKE 'browse-%' AND {where}");
                var seen = new HashSet<string>();
                string? cursor = null;
                do
                {
                    var prefix = query.Contains("idPrefix=", StringComparison.Ordinal) ? "" : "idPrefix=browse-&";
                    var url = $"api/requests?{prefix}limit=500&{query}" + (cursor is null ? "" : $"&after={cursor}");
                    using var page = JsonDocument.Parse(await app.Api.GetStringAsync(new Uri(url, UriKind.Relative)));
                    foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
                        Assert.True(seen.Add(item.GetProperty("requestId").GetString()!), "a request appeared on two pages");
                    cursor = page.RootElement.GetProperty("nextCursor").GetString();
                }
                while (cursor is not null);
                Assert.True(expected == seen.Count, $"{query}: the API listed {seen.Count}, SQL counts {expected}");
            }

            await Check("", "true");
            await Check("state=Failed", "state = 'Failed'");
            await Check("state=failed&model=big", "state = 'Failed' AND model = 'big'");
            await Check("failureKind=Permanent", "failure_kind = 'Permanent'");
            await Check("minAttempts=3", "attempt >= 3");
            await Check("createdFrom=2026-01-01T00:20:00Z&createdTo=2026-01-01T00:40:00Z",
                "created_at >= '2026-01-01 00:20:00+00' AND created_at < '2026-01-01 00:40:00+00'");
            await Check("idPrefix=browse-01", "request_id LIKE 'browse-01%'");

            using var counts = JsonDocument.Parse(await app.Api.GetStringAsync(new Uri("api/counts", UriKind.Relative)));
            Assert.True(counts.RootElement.GetProperty("Succeeded").GetInt64() >= 1666);

            using var bad = await app.Api.GetAsync(new Uri("api/requests?failureKind=Sleepy&minAttempts=-1", UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var problem = await bad.Content.ReadAsStringAsync();
            Assert.Contains("unknown failure kind 'Sleepy'", problem, StringComparison.Ordinal);
            Assert.Contains("minAttempts must not be negative", problem, StringComparison.Ordinal);
        }
        finally
        {
            await app.Database.ExecuteAsync("DELETE FROM inference_requests WHERE request_id LIKE 'browse-%'");
        }
    }
}
