namespace Orchestrator.Contracts;

/// <summary>
/// One part of a message's content: <c>Type = "text"</c> with <see cref="Text"/>, or
/// <c>Type = "image_url"</c> with <see cref="ImageUrl"/> (an https URL or a <c>data:</c> URL).
/// </summary>
public sealed record ContentPart
{
    /// <summary>The text part type.</summary>
    public const string TextType = "text";

    /// <summary>The image part type.</summary>
    public const string ImageUrlType = "image_url";

    /// <summary><c>text</c> or <c>image_url</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The text, when <see cref="Type"/> is <c>text</c>.</summary>
    public string? Text { get; init; }

    /// <summary>The image location, when <see cref="Type"/> is <c>image_url</c>.</summary>
    public string? ImageUrl { get; init; }

    /// <summary>A text part.</summary>
    public static ContentPart FromText(string text) => new() { Type = TextType, Text = text };

    /// <summary>An image part.</summary>
    public static ContentPart FromImageUrl(string url) => new() { Type = ImageUrlType, ImageUrl = url };
}
