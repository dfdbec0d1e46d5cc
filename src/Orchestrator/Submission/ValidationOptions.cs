using Orchestrator.Contracts;
using Orchestrator.ServiceDefaults;

namespace Orchestrator.Submission;

/// <summary>Limits the input gate applies to every request, on the API and on the bus, before any model call.</summary>
public sealed class ValidationOptions : IValidatedOptions
{
    public const string SectionName = "Orchestrator:Validation";

    /// <summary>The model names requests may ask for.</summary>
    public List<string> Models { get; set; } = ["sim"];

    /// <summary>Characters of text, summed over every message of a request.</summary>
    public int MaxTextCharacters { get; set; } = 100_000;

    /// <summary>Messages per request.</summary>
    public int MaxMessages { get; set; } = 1_000;

    public double MinTemperature { get; set; }
    public double MaxTemperature { get; set; } = 2;
    public int MaxTokensLimit { get; set; } = 32_768;

    /// <summary>
    /// MIME types accepted for images given as data URLs. The data of image/png, image/jpeg, image/gif and image/webp
    /// must start with that type's signature; another type added here is checked for its base64 and size only.
    /// </summary>
    public List<string> ImageMimeTypes { get; set; } = ["image/png", "image/jpeg", "image/webp", "image/gif"];

    /// <summary>Bytes of one image given as a data URL, decoded.</summary>
    public int MaxImageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>The priority of a request that names none, 1–5.</summary>
    public int DefaultPriority { get; set; } = RequestPriority.Default;

    /// <summary>Null when valid, else a message naming the setting.</summary>
    public string? Problem()
    {
        if (Models.Count == 0 || Models.Any(string.IsNullOrWhiteSpace))
            return $"{SectionName}:Models must list at least one model name, none of them empty";
        if (MaxTextCharacters < 1)
            return $"{SectionName}:MaxTextCharacters must be at least 1";
        if (MaxMessages < 1)
            return $"{SectionName}:MaxMessages must be at least 1";
        if (MinTemperature < 0 || MaxTemperature < MinTemperature)
            return $"{SectionName}:MinTemperature/MaxTemperature must satisfy 0 <= min <= max";
        if (MaxTokensLimit < 1)
            return $"{SectionName}:MaxTokensLimit must be at least 1";
        if (MaxImageBytes < 1)
            return $"{SectionName}:MaxImageBytes must be at least 1";
        if (DefaultPriority is < RequestPriority.Lowest or > RequestPriority.Highest)
            return $"{SectionName}:DefaultPriority must be between {RequestPriority.Lowest} and {RequestPriority.Highest} (got {DefaultPriority})";
        return null;
    }
}
