using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.SimulatedModel;

namespace SimulatedModel.Tests;

public sealed class When_options_are_validated
{
    [Fact]
    public void Should_accept_the_defaults()
    {
        var options = new SimulatedModelOptions();

        options.Validate();

        Assert.Equal(0.5, options.FaultMix["503"]);
        Assert.Equal(4, options.FaultMix.Count);
    }

    [Fact]
    public void Should_reject_a_fault_rate_of_1_5_naming_the_setting()
    {
        var options = new SimulatedModelOptions { FaultRate = 1.5 };

        var exception = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains("SimulatedModel:FaultRate must be between 0 and 1", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SimulatedModel:LatencyMs")]
    [InlineData("SimulatedModel:LatencyJitterMs")]
    [InlineData("SimulatedModel:RetryAfterSeconds")]
    [InlineData("SimulatedModel:TimeoutHoldSeconds")]
    public void Should_reject_negative_durations_naming_the_setting(string setting)
    {
        var options = new SimulatedModelOptions();
        switch (setting.Split(':')[1])
        {
            case nameof(SimulatedModelOptions.LatencyMs): options.LatencyMs = -1; break;
            case nameof(SimulatedModelOptions.LatencyJitterMs): options.LatencyJitterMs = -1; break;
            case nameof(SimulatedModelOptions.RetryAfterSeconds): options.RetryAfterSeconds = -1; break;
            default: options.TimeoutHoldSeconds = 0; break;
        }

        var exception = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains(setting, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reject_an_unknown_fault_in_the_mix_naming_it()
    {
        var options = new SimulatedModelOptions { FaultMix = new() { ["explode"] = 1 } };

        var exception = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains("SimulatedModel:FaultMix:explode", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_reject_a_fault_rate_with_nothing_to_pick()
    {
        var options = new SimulatedModelOptions { FaultRate = 0.1, FaultMix = new() { ["503"] = 0 } };

        var exception = Assert.Throws<InvalidOperationException>(options.Validate);

        Assert.Contains("SimulatedModel:FaultMix", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_refuse_to_start_a_server_with_invalid_options()
    {
        var options = new SimulatedModelOptions { FaultRate = 1.5 };

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(
            () => SimulatedModelServer.StartAsync(options));

        Assert.Contains("SimulatedModel:FaultRate", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_bind_from_configuration_replacing_the_default_fault_mix()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SimulatedModel:FaultRate"] = "0.2",
                ["SimulatedModel:FaultMix:503"] = "1",
                ["SimulatedModel:FaultMix:slow_250"] = "2",
                ["SimulatedModel:Models:0"] = "gpt-sim",
            })
            .Build();
        var services = new ServiceCollection();

        services.AddSimulatedModel(configuration);

        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<SimulatedModelOptions>();
        Assert.Equal(0.2, options.FaultRate);
        Assert.Equal(new Dictionary<string, double> { ["503"] = 1, ["slow_250"] = 2 }, options.FaultMix);
        Assert.Equal(["gpt-sim"], options.Models);
    }
}
