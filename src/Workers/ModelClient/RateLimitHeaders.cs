using System.Globalization;
using System.Net.Http.Headers;

namespace Orchestrator.Workers.ModelClient;

/// <summary>
/// The OpenAI-style rate-limit headers of an answer (success or error): what the provider says is left of the key's
/// quota and when it refills. Durations are Go-style (<c>1s</c>, <c>6m0s</c>, <c>20ms</c>, <c>1m30.5s</c>); a bare
/// number is seconds. A header that does not parse is left out and named in <see cref="Unparsable"/>.
/// </summary>
public sealed record RateLimitHeaders
{
    public const string RemainingRequestsHeader = "x-ratelimit-remaining-requests";
    public const string RemainingTokensHeader = "x-ratelimit-remaining-tokens";
    public const string ResetRequestsHeader = "x-ratelimit-reset-requests";
    public const string ResetTokensHeader = "x-ratelimit-reset-tokens";

    public long? RemainingRequests { get; init; }
    public long? RemainingTokens { get; init; }
    public TimeSpan? ResetRequests { get; init; }
    public TimeSpan? ResetTokens { get; init; }

    /// <summary>Headers present whose value did not parse, as <c>name: value</c>.</summary>
    public IReadOnlyList<string> Unparsable { get; init; } = [];

    /// <summary>The headers of an answer; null when it has none of them.</summary>
    public static RateLimitHeaders? Read(HttpResponseHeaders headers)
    {
        List<string>? unparsable = null;
        long? Count(string name) => Value(headers, name) is not { } text ? null
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count
            : Bad<long>(name, text);
        TimeSpan? Duration(string name) => Value(headers, name) is not { } text ? null
            : TryParseDuration(text, out var duration) ? duration
            : Bad<TimeSpan>(name, text);
        T? Bad<T>(string name, string text) where T : struct
        {
            (unparsable ??= []).Add($"{name}: {text}");
            return null;
        }

        var read = new RateLimitHeaders
        {
            RemainingRequests = Count(RemainingRequestsHeader),
            RemainingTokens = Count(RemainingTokensHeader),
            ResetRequests = Duration(ResetRequestsHeader),
            ResetTokens = Duration(ResetTokensHeader),
        };
        if (unparsable is not null)
            return read with { Unparsable = unparsable };
        return read is { RemainingRequests: null, RemainingTokens: null, ResetRequests: null, ResetTokens: null } ? null : read;
    }

    static string? Value(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) && values.FirstOrDefault() is { } value ? value.Trim() : null;

    /// <summary>
    /// When the endpoint should rest, by these headers: until the requests' reset when none are left, until the tokens'
    /// reset when fewer are left than <paramref name="callTokens"/> (the estimate of a call like the one answered; at
    /// least 1, so 0 left always counts); the later of the two. Null when neither applies or no reset was given.
    /// </summary>
    public (TimeSpan Wait, string Reason)? Cooldown(long callTokens)
    {
        (TimeSpan Wait, string Reason)? cooldown = null;
        if (RemainingRequests == 0 && ResetRequests is { } requests && requests > TimeSpan.Zero)
            cooldown = (requests, $"{RemainingRequestsHeader} 0, reset in {requests.TotalSeconds:0.###} s");
        if (RemainingTokens is { } left && left < Math.Max(1, callTokens) && ResetTokens is { } tokens && tokens > TimeSpan.Zero &&
            (cooldown is null || tokens > cooldown.Value.Wait))
        {
            cooldown = (tokens, $"{RemainingTokensHeader} {left} (a call needs about {Math.Max(1, callTokens)}), reset in {tokens.TotalSeconds:0.###} s");
        }
        return cooldown;
    }

    /// <summary>
    /// Parses a Go-style duration: one or more number-unit pairs (<c>h</c>, <c>m</c>, <c>s</c>, <c>ms</c>, <c>us</c>,
    /// <c>µs</c>, <c>ns</c>), numbers possibly fractional; or a bare non-negative number of seconds.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var span = text.AsSpan().Trim();
        if (span.IsEmpty)
            return false;
        if (double.TryParse(span, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var bare))
        {
            duration = TimeSpan.FromSeconds(bare);
            return true;
        }
        double ticks = 0;
        while (!span.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
                numberLength++;
            if (numberLength == 0 || !double.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                return false;
            span = span[numberLength..];
            var unitLength = 0;
            while (unitLength < span.Length && !char.IsAsciiDigit(span[unitLength]) && span[unitLength] != '.')
                unitLength++;
            double? unit = span[..unitLength] switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
                "ns" => TimeSpan.TicksPerMicrosecond / 1000.0,
                _ => null,
            };
            if (unit is null)
                return false;
            ticks += number * unit.Value;
            span = span[unitLength..];
        }
        if (ticks > TimeSpan.MaxValue.Ticks)
            return false;
        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }
}
