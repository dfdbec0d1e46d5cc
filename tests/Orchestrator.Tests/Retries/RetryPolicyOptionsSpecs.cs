using Microsoft.Extensions.Configuration;
using Orchestrator.Contracts;
using Orchestrator.Retries;

namespace Orchestrator.Tests.Retries;

public sealed class RetryPolicyOptionsSpecs
{
    [Fact]
    public void Should_accept_the_defaults() => Assert.Null(new RetryPolicyOptions().Problem());

    [Fact]
    public void Should_say_which_setting_is_wrong_and_what_it_got() =>
        Assert.Equal(
            "Orchestrator:Retry:BackoffCoefficient must be at least 1 (got 0.5)",
            new RetryPolicyOptions { BackoffCoefficient = 0.5 }.Problem());

    public static TheoryData<string, Action<RetryPolicyOptions>, string> BadOptions => new()
    {
        { "negative initial", o => o.InitialInterval = TimeSpan.FromSeconds(-1), "Orchestrator:Retry:InitialInterval must not be negative" },
        { "NaN coefficient", o => o.BackoffCoefficient = double.NaN, "Orchestrator:Retry:BackoffCoefficient must be at least 1" },
        { "infinite coefficient", o => o.BackoffCoefficient = double.PositiveInfinity, "Orchestrator:Retry:BackoffCoefficient must be finite" },
        { "zero maximum", o => o.MaximumInterval = TimeSpan.Zero, "Orchestrator:Retry:MaximumInterval must be positive" },
        { "maximum below initial", o => o.InitialInterval = TimeSpan.FromMinutes(2), "Orchestrator:Retry:MaximumInterval must be at least the InitialInterval" },
        { "negative attempts", o => o.MaximumAttempts = -1, "Orchestrator:Retry:MaximumAttempts must not be negative" },
        { "unknown jitter", o => o.Jitter = (JitterKind)42, "Orchestrator:Retry:Jitter must be one of" },
        { "unknown kind", o => o.NonRetryableKinds.Add((FailureKind)42), "Orchestrator:Retry:NonRetryableKinds" },
        { "attempts cap", o => o.MaximumAttemptsCap = 0, "Orchestrator:Retry:MaximumAttemptsCap must be at least 1" },
        { "interval cap", o => o.MaximumIntervalCap = TimeSpan.Zero, "Orchestrator:Retry:MaximumIntervalCap must be positive" },
        { "cause retries", o => o.PerCause["http-503"].MaximumRetries = -1, "Orchestrator:Retry:PerCause:http-503:MaximumRetries must not be negative" },
        { "cause initial", o => o.PerCause["timeout"].InitialInterval = TimeSpan.FromSeconds(-1), "Orchestrator:Retry:PerCause:timeout:InitialInterval must not be negative" },
        { "cause coefficient", o => o.PerCause["timeout"].BackoffCoefficient = 0.9, "Orchestrator:Retry:PerCause:timeout:BackoffCoefficient must be at least 1 (got 0.9)" },
        { "cause maximum", o => o.PerCause["http-503"].MaximumInterval = TimeSpan.FromSeconds(1), "Orchestrator:Retry:PerCause:http-503:MaximumInterval must be at least the InitialInterval" },
        { "cause kind", o => o.PerCause["http-401"].ExhaustedKind = (FailureKind)42, "Orchestrator:Retry:PerCause:http-401:ExhaustedKind" },
        { "empty cause", o => o.PerCause[" "] = new RetryOverride(), "Orchestrator:Retry:PerCause must not have an empty cause key" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Should_refuse_bad_options_naming_the_setting(string name, Action<RetryPolicyOptions> change, string message)
    {
        var options = new RetryPolicyOptions();
        change(options);
        var problem = options.Problem();
        Assert.True(problem?.StartsWith(message, StringComparison.Ordinal) == true, $"{name}: expected '{message}...', got '{problem}'");
    }

    [Fact]
    public void Should_merge_configured_causes_into_the_defaults()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orchestrator:Retry:MaximumAttempts"] = "7",
                ["Orchestrator:Retry:Jitter"] = "Decorrelated",
                ["Orchestrator:Retry:PerCause:HTTP-503:MaximumRetries"] = "4",
                ["Orchestrator:Retry:PerCause:http-429:InitialInterval"] = "00:00:05",
                ["Orchestrator:Retry:PerCause:http-429:ExhaustedKind"] = "Permanent",
            })
            .Build();

        var options = configuration.GetSection(RetryPolicyOptions.SectionName).Get<RetryPolicyOptions>()!;

        Assert.Null(options.Problem());
        Assert.Equal(7, options.MaximumAttempts);
        Assert.Equal(JitterKind.Decorrelated, options.Jitter);
        Assert.Equal(4, options.PerCause["http-503"].MaximumRetries);
        Assert.Equal(TimeSpan.FromSeconds(2), options.PerCause["http-503"].InitialInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), options.PerCause["http-429"].InitialInterval);
        Assert.Equal(FailureKind.Permanent, options.PerCause["http-429"].ExhaustedKind);
        Assert.Equal(3, options.PerCause["timeout"].MaximumRetries);
        Assert.Equal(FailureKind.Permanent, options.PerCause["http-401"].ExhaustedKind);
        Assert.Equal(5, options.PerCause.Count);
    }
}
