using Orchestrator.Contracts;
using Orchestrator.ServiceDefaults;

namespace Orchestrator.Workers.ModelClient;

/// <summary>
/// How HTTP statuses map to failure kinds (section <c>Workers:Classification</c>). Statuses not listed: 5xx are
/// transient, the rest permanent.
/// </summary>
public sealed class ClassificationOptions : IValidatedOptions
{
    public const string SectionName = "Workers:Classification";

    /// <summary>
    /// Status → kind. Defaults: 408 and 429 transient (429 honours Retry-After); 401 and 403 transient, because
    /// credentials may rotate: the orchestrator's retry policy allows them one retry and then fails them as permanent.
    /// </summary>
    public Dictionary<string, FailureKind> Statuses { get; set; } = new(StringComparer.Ordinal)
    {
        ["408"] = FailureKind.Transient,
        ["429"] = FailureKind.Transient,
        ["401"] = FailureKind.Transient,
        ["403"] = FailureKind.Transient,
        ["400"] = FailureKind.Permanent,
        ["404"] = FailureKind.Permanent,
        ["422"] = FailureKind.Permanent,
    };

    public string? Problem()
    {
        foreach (var key in Statuses.Keys)
        {
            if (!int.TryParse(key, out var status) || status is < 400 or > 599)
                return $"{SectionName}:Statuses:{key} must be an HTTP error status between 400 and 599";
        }
        return null;
    }
}
