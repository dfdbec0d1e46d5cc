using System.Globalization;
using System.Text.Json;
using Orchestrator.Contracts;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.Api;

/// <summary>
/// The request list's filters, shared by <c>GET /api/requests</c> and the bulk actions: each one an indexed or
/// selective predicate, all optional. Values are canonical once parsed (state and failure kind spelled as stored,
/// timestamps UTC).
/// </summary>
public sealed record RequestFilter
{
    public string? State { get; init; }
    public string? Model { get; init; }
    public string? FailureKind { get; init; }
    public int? MinAttempts { get; init; }
    public DateTime? CreatedFrom { get; init; }
    public DateTime? CreatedTo { get; init; }
    public DateTime? UpdatedFrom { get; init; }
    public DateTime? UpdatedTo { get; init; }
    public string? IdPrefix { get; init; }

    /// <summary>Requests of this priority only (1–5).</summary>
    public int? Priority { get; init; }

    /// <summary>Requests of this batch only.</summary>
    public string? BatchId { get; init; }

    /// <summary>No field set: the filter matches every request.</summary>
    public bool IsEmpty => this == new RequestFilter();

    /// <summary>Checks and canonicalises raw values; <paramref name="errors"/> gets one entry per bad field.</summary>
    public static RequestFilter Parse(string? state, string? model, string? failureKind, int? minAttempts, DateTime? createdFrom,
        DateTime? createdTo, DateTime? updatedFrom, DateTime? updatedTo, string? idPrefix, List<FieldError> errors, int? priority = null, string? batchId = null)
    {
        string? canonicalState = null;
        if (!string.IsNullOrEmpty(state) && (canonicalState = RequestStates.Parse(state)) is null)
            errors.Add(new("state", $"unknown state '{state}'; one of {string.Join(", ", RequestStates.All)}"));
        string? kind = null;
        if (!string.IsNullOrEmpty(failureKind))
        {
            if (Enum.TryParse<FailureKind>(failureKind, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
                kind = parsed.ToString();
            else
                errors.Add(new("failureKind", $"unknown failure kind '{failureKind}'; one of {string.Join(", ", Enum.GetNames<FailureKind>())}"));
        }
        if (minAttempts is < 0)
            errors.Add(new("minAttempts", "minAttempts must not be negative"));
        if (idPrefix is { Length: > RequestIdentity.MaxLength })
            errors.Add(new("idPrefix", $"idPrefix must be at most {RequestIdentity.MaxLength} characters"));
        if (batchId is { Length: > RequestIdentity.MaxLength })
            errors.Add(new("batchId", $"batchId must be at most {RequestIdentity.MaxLength} characters"));
        if (priority is < RequestPriority.Lowest or > RequestPriority.Highest)
            errors.Add(new("priority", $"must be between {RequestPriority.Lowest} and {RequestPriority.Highest} (got {priority})"));
        return new RequestFilter
        {
            State = canonicalState,
            Model = string.IsNullOrEmpty(model) ? null : model,
            FailureKind = kind,
            MinAttempts = minAttempts,
            CreatedFrom = Utc(createdFrom),
            CreatedTo = Utc(createdTo),
            UpdatedFrom = Utc(updatedFrom),
            UpdatedTo = Utc(updatedTo),
            IdPrefix = string.IsNullOrEmpty(idPrefix) ? null : idPrefix,
            Priority = priority,
            BatchId = string.IsNullOrEmpty(batchId) ? null : batchId,
        };
    }

    /// <summary>The same filter from a JSON object (the bulk actions' body), with the same checks.</summary>
    public static RequestFilter FromJson(JsonElement filter, List<FieldError> errors)
    {
        if (filter.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("filter", "filter must be a JSON object"));
            return new RequestFilter();
        }
        string? Text(string name)
        {
            if (!filter.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                return null;
            if (value.ValueKind == JsonValueKind.String)
                return value.GetString();
            errors.Add(new($"filter.{name}", $"{name} must be a string"));
            return null;
        }
        DateTime? Time(string name)
        {
            var text = Text(name);
            if (text is null)
                return null;
            if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var value))
                return value;
            errors.Add(new($"filter.{name}", $"{name} must be an ISO 8601 timestamp, e.g. 2026-11-25T12:00:00Z"));
            return null;
        }
        int? minAttempts = null;
        if (filter.TryGetProperty("minAttempts", out var n) && n.ValueKind != JsonValueKind.Null)
        {
            if (n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var parsed))
                minAttempts = parsed;
            else
                errors.Add(new("filter.minAttempts", "minAttempts must be an integer"));
        }
        int? priority = null;
        if (filter.TryGetProperty("priority", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var parsed))
                priority = parsed;
            else
                errors.Add(new("filter.priority", "priority must be an integer"));
        }
        foreach (var property in filter.EnumerateObject())
        {
            if (!KnownFields.Contains(property.Name))
                errors.Add(new($"filter.{property.Name}", $"unknown filter field; one of {string.Join(", ", KnownFields)}"));
        }
        return Parse(Text("state"), Text("model"), Text("failureKind"), minAttempts, Time("createdFrom"), Time("createdTo"),
            Time("updatedFrom"), Time("updatedTo"), Text("idPrefix"), errors, priority, Text("batchId"));
    }

    static readonly string[] KnownFields =
        ["state", "model", "failureKind", "minAttempts", "createdFrom", "createdTo", "updatedFrom", "updatedTo", "idPrefix", "priority", "batchId"];

    public IQueryable<InferenceRequestState> Apply(IQueryable<InferenceRequestState> query)
    {
        if (State is { } state)
            query = query.Where(x => x.CurrentState == state);
        if (Model is { } model)
            query = query.Where(x => x.Model == model);
        if (FailureKind is { } kind)
            query = query.Where(x => x.FailureKind == kind);
        if (MinAttempts is { } n)
            query = query.Where(x => x.Attempt >= n);
        if (CreatedFrom is { } cf)
            query = query.Where(x => x.CreatedAt >= cf);
        if (CreatedTo is { } ct)
            query = query.Where(x => x.CreatedAt < ct);
        if (UpdatedFrom is { } uf)
            query = query.Where(x => x.UpdatedAt >= uf);
        if (UpdatedTo is { } ut)
            query = query.Where(x => x.UpdatedAt < ut);
        if (IdPrefix is { } prefix)
            query = query.Where(x => x.RequestId.StartsWith(prefix));
        if (Priority is { } priority)
            query = query.Where(x => x.Priority == priority);
        if (BatchId is { } batchId)
            query = query.Where(x => x.BatchId == batchId);
        return query;
    }

    static DateTime? Utc(DateTime? value) => value?.Kind switch
    {
        null => null,
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.Value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value!.Value, DateTimeKind.Utc),
    };
}
