using System.Net.Http.Headers;
using Orchestrator.Workers.ModelClient;

namespace Orchestrator.Tests.Workers;

/// <summary>Reading OpenAI-style rate-limit headers, and when they mean the endpoint should rest.</summary>
public sealed class RateLimitHeadersSpecs
{
    [Theory]
    [InlineData("1s", 1_000)]
    [InlineData("6m0s", 360_000)]
    [InlineData("20ms", 20)]
    [InlineData("1m30.5s", 90_500)]
    [InlineData("1h2m", 3_720_000)]
    [InlineData("250us", 0.25)]
    [InlineData("0s", 0)]
    [InlineData("2.5", 2_500)] // a bare number is seconds
    public void Should_parse_go_style_durations(string text, double milliseconds)
    {
        Assert.True(RateLimitHeaders.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5 minutes")]
    [InlineData("1x")]
    [InlineData("-1s")]
    [InlineData("s")]
    [InlineData("1..2s")]
    public void Should_refuse_what_is_not_a_duration(string text) => Assert.False(RateLimitHeaders.TryParseDuration(text, out _));

    static HttpResponseHeaders Headers(params (string Name, string Value)[] values)
    {
        var response = new HttpResponseMessage();
        foreach (var (name, value) in values)
            response.Headers.TryAddWithoutValidation(name, value);
        return response.Headers;
    }

    [Fact]
    public void Should_read_the_four_headers_and_name_the_ones_that_do_not_parse()
    {
        var read = RateLimitHeaders.Read(Headers(
            ("x-ratelimit-remaining-requests", "59"), ("x-ratelimit-remaining-tokens", "149000"),
            ("x-ratelimit-reset-requests", "1s"), ("x-ratelimit-reset-tokens", "whenever")));

        Assert.NotNull(read);
        Assert.Equal((59L, 149_000L, TimeSpan.FromSeconds(1), (TimeSpan?)null),
            (read.RemainingRequests, read.RemainingTokens, read.ResetRequests, read.ResetTokens));
        Assert.Equal(["x-ratelimit-reset-tokens: whenever"], read.Unparsable);
        Assert.Null(RateLimitHeaders.Read(Headers(("x-other", "1"))));
    }

    [Fact]
    public void Should_rest_until_the_requests_reset_when_none_are_left()
    {
        var spent = new RateLimitHeaders { RemainingRequests = 0, ResetRequests = TimeSpan.FromSeconds(6), RemainingTokens = 5_000, ResetTokens = TimeSpan.FromSeconds(1) };
        var cooldown = spent.Cooldown(callTokens: 1_000);
        Assert.Equal(TimeSpan.FromSeconds(6), cooldown?.Wait);
        Assert.Equal("x-ratelimit-remaining-requests 0, reset in 6 s", cooldown?.Reason);
    }

    [Fact]
    public void Should_rest_until_the_tokens_reset_when_fewer_are_left_than_a_call_needs()
    {
        var low = new RateLimitHeaders { RemainingRequests = 10, ResetRequests = TimeSpan.FromSeconds(1), RemainingTokens = 500, ResetTokens = TimeSpan.FromSeconds(12) };
        Assert.Equal(TimeSpan.FromSeconds(12), low.Cooldown(callTokens: 1_000)?.Wait);
        Assert.Equal("x-ratelimit-remaining-tokens 500 (a call needs about 1000), reset in 12 s", low.Cooldown(1_000)?.Reason);
        Assert.Null(low.Cooldown(callTokens: 400));
        // Zero tokens left always counts, whatever the call's size.
        Assert.NotNull((low with { RemainingTokens = 0 }).Cooldown(callTokens: 0));
    }

    [Fact]
    public void Should_not_rest_without_a_reset_time_or_with_room_left()
    {
        Assert.Null(new RateLimitHeaders { RemainingRequests = 0 }.Cooldown(1_000));
        Assert.Null(new RateLimitHeaders { RemainingRequests = 0, ResetRequests = TimeSpan.Zero }.Cooldown(1_000));
        Assert.Null(new RateLimitHeaders { RemainingRequests = 3, ResetRequests = TimeSpan.FromSeconds(5), RemainingTokens = 90_000, ResetTokens = TimeSpan.FromSeconds(5) }.Cooldown(1_000));
    }
}
