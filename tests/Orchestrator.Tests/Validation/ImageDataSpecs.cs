using Orchestrator.Contracts;
using Orchestrator.Retries;
using Orchestrator.Submission;

namespace Orchestrator.Tests.Validation;

/// <summary>A data URL's bytes are decoded and checked against the type it declares, with real image headers.</summary>
public sealed class ImageDataSpecs
{
    // A complete 1x1 PNG and the start of a JFIF JPEG, as cameras and encoders write them.
    const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    static readonly string Jpeg = Convert.ToBase64String([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9]);
    const string Gif = "R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==";
    static readonly string WebP = Convert.ToBase64String([.. "RIFF"u8, 0x1A, 0x00, 0x00, 0x00, .. "WEBPVP8L"u8, 0x0D, 0x00, 0x00, 0x00, 0x2F, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xFE, 0x07, 0x00]);
    static readonly string Svg = Convert.ToBase64String("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>"u8);

    static string Check(string url, int maxBytes = 10 * 1024 * 1024)
    {
        var request = new InferenceRequested
        {
            RequestId = "img-1",
            Model = "sim",
            Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("What is this?"), ContentPart.FromImageUrl(url)] }],
        };
        return string.Join("; ", InputGate.Check(request, new ValidationOptions { MaxImageBytes = maxBytes }, new RetryPolicyOptions()));
    }

    [Fact]
    public void Should_accept_each_type_whose_bytes_are_what_it_says()
    {
        Assert.Equal("", Check($"data:image/png;base64,{Png}"));
        Assert.Equal("", Check($"data:image/jpeg;base64,{Jpeg}"));
        Assert.Equal("", Check($"data:image/gif;base64,{Gif}"));
        Assert.Equal("", Check($"data:image/webp;base64,{WebP}"));
    }

    [Fact]
    public void Should_refuse_invalid_base64_naming_the_field() =>
        Assert.Equal("messages[0].content[1].image_url: the data URL's base64 is invalid", Check("data:image/png;base64,iVBORw0K!!GgoAAAA"));

    [Fact]
    public void Should_refuse_an_svg_labelled_png() =>
        Assert.Equal("messages[0].content[1].image_url: the data is not a PNG image as its type image/png says: it is markup text (SVG, HTML or XML)",
            Check($"data:image/png;base64,{Svg}"));

    [Fact]
    public void Should_refuse_a_jpeg_labelled_png_and_a_png_labelled_jpeg()
    {
        Assert.EndsWith("the data is not a PNG image as its type image/png says: it is a JPEG image", Check($"data:image/png;base64,{Jpeg}"), StringComparison.Ordinal);
        Assert.EndsWith("the data is not a JPEG image as its type image/jpeg says: it is a PNG image", Check($"data:image/jpeg;base64,{Png}"), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_bytes_of_no_known_type_showing_how_they_start() =>
        Assert.EndsWith("it is no image type known here (it starts with 000102030405)",
            Check("data:image/gif;base64," + Convert.ToBase64String([0, 1, 2, 3, 4, 5])), StringComparison.Ordinal);

    [Fact]
    public void Should_refuse_an_image_over_the_limit_by_its_decoded_size() =>
        Assert.EndsWith("image is 70 bytes; at most 50 are allowed", Check($"data:image/png;base64,{Png}", maxBytes: 50), StringComparison.Ordinal);

    [Fact]
    public void Should_refuse_an_empty_data_url() =>
        Assert.EndsWith("the data URL holds no data", Check("data:image/png;base64,"), StringComparison.Ordinal);

    /// <summary>As in OpenAI's API, an image alone is a question.</summary>
    [Fact]
    public void Should_accept_a_user_message_with_an_image_only()
    {
        var request = new InferenceRequested
        {
            RequestId = "img-only",
            Model = "sim",
            Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromImageUrl($"data:image/png;base64,{Png}", "low")] }],
        };
        Assert.Empty(InputGate.Check(request, new ValidationOptions(), new RetryPolicyOptions()));
    }
}
