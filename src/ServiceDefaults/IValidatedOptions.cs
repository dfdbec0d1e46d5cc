namespace Orchestrator.ServiceDefaults;

/// <summary>
/// An options class that checks itself. Registered with
/// <see cref="ValidatedOptionsExtensions.AddValidatedOptions{T}"/>, a bad value stops the process at start with the
/// message <see cref="Problem"/> gives.
/// </summary>
public interface IValidatedOptions
{
    /// <summary>Null when every setting is valid, else a message that names the bad setting (its configuration key).</summary>
    string? Problem();
}
