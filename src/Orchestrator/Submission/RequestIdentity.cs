using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Submission;

/// <summary>
/// Maps a client's request id to the saga's CorrelationId: a name-based UUID (RFC 9562 version 5), so the same
/// id always lands on the same saga, on any process, without a lookup.
/// </summary>
public static class RequestIdentity
{
    public const int MaxLength = 128;

    // A fixed namespace of our own: changing it would orphan every stored saga.
    static readonly Guid Namespace = new("5b0f7a52-2d47-4c7e-9d51-0b8f4cb0a1d3");
    static readonly byte[] NamespaceBytes = Namespace.ToByteArray(bigEndian: true);

    /// <summary>True when the id is 1–128 characters of <c>[A-Za-z0-9._:-]</c>.</summary>
    public static bool IsValid(string? requestId)
    {
        if (string.IsNullOrEmpty(requestId) || requestId.Length > MaxLength)
            return false;
        foreach (var c in requestId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
                return false;
        }
        return true;
    }

    /// <summary>The reason an id is refused, or null when it is valid.</summary>
    public static string? Problem(string? requestId) => requestId switch
    {
        null or "" => "requestId must not be empty",
        { Length: > MaxLength } => $"requestId must be at most {MaxLength} characters (got {requestId.Length})",
        _ when !IsValid(requestId) => "requestId may contain only letters, digits and . _ : -",
        _ => null,
    };

    /// <summary>The deterministic CorrelationId of a request id.</summary>
    /// <exception cref="UncorrelatableMessageException">The id is empty or too long: no saga can own the message.</exception>
    public static Guid ToCorrelationId(string? requestId)
    {
        if (string.IsNullOrEmpty(requestId))
            throw new UncorrelatableMessageException("the message has no requestId, so it cannot be tied to a request");
        // A request id that cannot be stored cannot name a request either: the message goes to the error queue.
        if (requestId.Length > MaxLength)
            throw new UncorrelatableMessageException($"the requestId is {requestId.Length} characters; at most {MaxLength} are allowed");
        return NameBased(requestId);
    }

    /// <summary>
    /// The MessageId of a request's terminal outcome: the same for every publish of one generation's outcome,
    /// so a subscriber deduplicating by MessageId sees it once; a new generation gets a new one, and so does each
    /// run an operator starts by retrying a Failed request (run 1 keeps the original form).
    /// </summary>
    public static Guid OutcomeMessageId(string requestId, int generation, int run = 1) =>
        NameBased(run == 1 ? $"{requestId}/{generation}/outcome" : $"{requestId}/{generation}/outcome/{run}");

    static Guid NameBased(string value) => NameBased(NamespaceBytes, value);

    /// <summary>RFC 9562 version 5 of <paramref name="value"/> in <paramref name="namespaceId"/>.</summary>
    internal static Guid NameBased(Guid namespaceId, string value) => NameBased(namespaceId.ToByteArray(bigEndian: true), value);

    static Guid NameBased(byte[] namespaceBytes, string value)
    {
        var name = Encoding.UTF8.GetBytes(value);
        var input = new byte[namespaceBytes.Length + name.Length];
        namespaceBytes.CopyTo(input, 0);
        name.CopyTo(input, namespaceBytes.Length);

        // SHA-1 is what RFC 9562 prescribes for version 5; it names, it does not protect.
#pragma warning disable CA5350
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version 5
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>A fresh id for a request submitted without one.</summary>
    public static string NewRequestId() => "req-" + Guid.CreateVersion7().ToString("N");
}
