namespace Orchestrator.Contracts;

/// <summary>
/// One part of a message's content: <c>Type = "text"</c> with <see cref="Text"/>, or
/// <c>Type = "image_url"</c> with <see cref="ImageUrl"/> (an https URL or a <c>data:</c> URL) and an optional
/// <see cref="Detail"/>.
/// </summary>
/// <remarks>
/// On the wire the orchestrator reads OpenAI's form, <c>{"type":"image_url","image_url":{"url":"...","detail":"low"}}</c>,
/// and this record's own serialized form, <c>{"type":"image_url","imageUrl":"...","detail":"low"}</c>, alike.
/// </remarks>
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

    /// <summary>
    /// How closely the model looks at the image, as OpenAI names it: <c>auto</c>, <c>low</c> or <c>high</c>; null for
    /// the model's default. Only with <see cref="Type"/> <c>image_url</c>.
    /// </summary>
    public string? Detail { get; init; }

    /// <summary>A text part.</summary>
    public static ContentPart FromText(string text) => new() { Type = TextType, Text = text };

    /// <summary>An image part; <paramref name="detail"/> is <c>auto</c>, <c>low</c>, <c>high</c> or null.</summary>
    public static ContentPart FromImageUrl(string url, string? detail = null) => new() { Type = ImageUrlType, ImageUrl = url, Detail = detail };
}
