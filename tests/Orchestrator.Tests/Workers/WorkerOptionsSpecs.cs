using Orchestrator.Workers.Hosting;
using Orchestrator.Workers.Resilience;

namespace Orchestrator.Tests.Workers;

/// <summary>The endpoint settings added for fallback and breakers: a bad value names its setting.</summary>
public sealed class WorkerOptionsSpecs
{
    static WorkerOptions With(params EndpointOptions[] endpoints) => new() { Models = { ["sim"] = new ModelOptions { Endpoints = [.. endpoints] } } };

    [Fact]
    public void Should_refuse_two_endpoints_of_a_model_with_one_name()
    {
        var options = With(new EndpointOptions { Name = "a", BaseUrl = "http://127.0.0.1:1" }, new EndpointOptions { Name = "a", BaseUrl = "http://127.0.0.1:2" });
        Assert.Equal("Workers:Models:sim:Endpoints: two endpoints are named 'a'; give each a distinct Name", options.Problem());
    }

    [Fact]
    public void Should_refuse_an_api_key_variable_that_is_not_set()
    {
        var variable = $"ORCH_TEST_UNSET_{Guid.NewGuid():N}";
        var options = With(new EndpointOptions { BaseUrl = "http://127.0.0.1:1", ApiKeyEnvironmentVariable = variable });
        Assert.Equal($"Workers:Models:sim:Endpoints:0:ApiKeyEnvironmentVariable names '{variable}', which is not set in the environment", options.Problem());
    }

    [Fact]
    public void Should_read_the_api_key_from_the_named_variable()
    {
        var variable = $"ORCH_TEST_KEY_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, "secret-1");
        try
        {
            var endpoint = new EndpointOptions { BaseUrl = "http://127.0.0.1:1", ApiKeyEnvironmentVariable = variable };
            Assert.Null(With(endpoint).Problem());
            Assert.Equal("secret-1", endpoint.ResolvedApiKey);
            endpoint.ApiKey = "from-config";
            Assert.Equal("from-config", endpoint.ResolvedApiKey);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Should_check_an_endpoint_breaker_override_over_the_defaults()
    {
        var options = With(new EndpointOptions { BaseUrl = "http://127.0.0.1:1", CircuitBreaker = new CircuitBreakerOverride { FailureRatio = 2 } });
        Assert.StartsWith("Workers:Models:sim:Endpoints:0:CircuitBreaker:FailureRatio must be between 0 and 1", options.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_take_only_the_overridden_settings_from_an_endpoint()
    {
        var defaults = new CircuitBreakerOptions { BreakDuration = TimeSpan.FromSeconds(9) };
        var merged = new CircuitBreakerOverride { ConsecutiveFailures = 2 }.Over(defaults);
        Assert.Equal((2, TimeSpan.FromSeconds(9), 0.5), (merged.ConsecutiveFailures, merged.BreakDuration, merged.FailureRatio));
    }
}
