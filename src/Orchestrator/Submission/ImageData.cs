using System.Buffers.Text;

namespace Orchestrator.Submission;

/// <summary>
/// The bytes of a <c>data:</c> URL image, checked for what they are: valid base64, within the size limit, and starting
/// with the signature of the type the URL declares (PNG, JPEG, GIF, WebP). An SVG or a text file labelled
/// <c>image/png</c> is refused before any model sees it. A type the gate does not know the signature of (one an
/// operator added to <see cref="ValidationOptions.ImageMimeTypes"/>) is checked for its base64 and size only.
/// </summary>
public static class ImageData
{
    /// <summary>The longest signature checked, in bytes.</summary>
    const int SignatureBytes = 12;

    static readonly (string Mime, string Name, Func<ReadOnlySpan<byte>, bool> Matches)[] Signatures =
    [
        ("image/png", "PNG", b => b.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])),
        ("image/jpeg", "JPEG", b => b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])),
        ("image/gif", "GIF", b => b.StartsWith("GIF87a"u8) || b.StartsWith("GIF89a"u8)),
        ("image/webp", "WebP", b => b.Length >= 12 && b.StartsWith("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8)),
    ];

    /// <summary>Why the base64 <paramref name="data"/> is not a <paramref name="mime"/> image, or null when it is one.</summary>
    public static string? Problem(ReadOnlySpan<char> data, string mime, int maxBytes)
    {
        if (data.IsEmpty)
            return "the data URL holds no data";
        if (!Base64.IsValid(data, out var length))
            return "the data URL's base64 is invalid";
        if (length > maxBytes)
            return $"image is {length} bytes; at most {maxBytes} are allowed";

        var known = Array.Find(Signatures, s => s.Mime == mime);
        if (known.Mime is null)
            return null;
        Span<byte> head = stackalloc byte[SignatureBytes];
        var written = Head(data, head);
        var bytes = head[..written];
        if (known.Matches(bytes))
            return null;
        var actual = Describe(bytes);
        foreach (var signature in Signatures)
        {
            if (signature.Matches(bytes))
                actual = $"a {signature.Name} image";
        }
        return $"the data is not a {known.Name} image as its type {mime} says: it is {actual}";
    }

    /// <summary>Decodes the first bytes of already validated base64 (whitespace allowed, as base64 allows it).</summary>
    static int Head(ReadOnlySpan<char> data, Span<byte> head)
    {
        Span<char> chars = stackalloc char[16];
        var count = 0;
        foreach (var c in data)
        {
            if (char.IsWhiteSpace(c))
                continue;
            chars[count++] = c;
            if (count == chars.Length)
                break;
        }
        // Whole quanta only: 16 characters are 12 bytes; a shorter tail is the whole data, padding included.
        var usable = count == chars.Length ? count : count - (count % 4);
        return Convert.TryFromBase64Chars(chars[..usable], head, out var written) ? written : 0;
    }

    static string Describe(ReadOnlySpan<byte> bytes)
    {
        var text = System.Text.Encoding.ASCII.GetString(bytes).TrimStart();
        if (text.StartsWith('<'))
            return "markup text (SVG, HTML or XML)";
        return bytes.IsEmpty ? "empty" : $"no image type known here (it starts with {Convert.ToHexString(bytes[..Math.Min(bytes.Length, 8)])})";
    }
}
