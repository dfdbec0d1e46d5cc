namespace Orchestrator.Api.Access;

/// <summary>
/// Who may call the API (section <c>Orchestrator:Api</c>). Keys carry scopes: <c>submit</c> (submit a request and
/// read it back) and <c>operate</c> (everything an operator does). With <see cref="RequireKeys"/> unset, keys are off
/// only for an embedded orchestrator listening on loopback alone, and required everywhere else.
/// </summary>
public sealed class ApiAccessOptions
{
    public const string SectionName = "Orchestrator:Api";
    public const int MinimumKeyLength = 16;

    /// <summary>True: every API call needs a key; false: none does. Unset: see the class summary.</summary>
    public bool? RequireKeys { get; set; }

    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>Submissions per second each key (or, with keys off, each client address) may make, as a token bucket.</summary>
    public int SubmitPermitsPerSecond { get; set; } = 500;

    /// <summary>How many submissions a key may make at once above the steady rate.</summary>
    public int SubmitBurst { get; set; } = 1000;
}

/// <summary>One API key: a name for logs and audit, the secret itself, and its scopes ("submit", "operate" or both, comma separated).</summary>
public sealed class ApiKeyEntry
{
    public string? Name { get; set; }
    public string? Key { get; set; }
    public string? Scopes { get; set; }
}
