using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Orchestrator.Api;

/// <summary>The keyset position after the last item of a list page: (created_at, request_id), opaque to clients.</summary>
public sealed record ListCursor(DateTime CreatedAt, string RequestId)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture)}|{RequestId}"));

    public static ListCursor? TryDecode(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return bar > 0 && long.TryParse(text.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                ? new ListCursor(new DateTime(ticks, DateTimeKind.Utc), text[(bar + 1)..])
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
