using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Callbacks;

/// <summary>
/// The Standard Webhooks signature: <c>v1,</c> and the base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>, one per
/// key, space-separated (the current key first, then those being rotated out).
/// </summary>
public static class CallbackSignature
{
    public static string Sign(string id, long timestamp, ReadOnlySpan<byte> body, IReadOnlyList<byte[]> keys)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return string.Join(' ', keys.Select(key => "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content))));
    }
}
