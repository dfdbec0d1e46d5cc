namespace Orchestrator.Contracts;

/// <summary>Why an attempt or a request failed. Spelled the same in the API, the database and the CLI.</summary>
public enum FailureKind
{
    /// <summary>Worth retrying: timeouts, connection errors, 429, 5xx, malformed responses.</summary>
    Transient = 1,

    /// <summary>Retrying cannot help: 400, 404, 422, or 401/403 after one retry.</summary>
    Permanent = 2,

    /// <summary>The endpoint's circuit breaker is open; no call was made.</summary>
    CircuitOpen = 3,

    /// <summary>The request itself is invalid; no call was made.</summary>
    InvalidInput = 4,

    /// <summary>The request's overall deadline passed.</summary>
    DeadlineExceeded = 5,

    /// <summary>An operator rejected the result in review.</summary>
    Rejected = 6,
}
