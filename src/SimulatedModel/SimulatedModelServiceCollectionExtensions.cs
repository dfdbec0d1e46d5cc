using Orchestrator.SimulatedModel.Admin;
using Orchestrator.SimulatedModel.Chat;

namespace Orchestrator.SimulatedModel;

/// <summary>Registers the simulated model's services; <see cref="SimulatedModelEndpoints"/> maps its routes.</summary>
public static class SimulatedModelServiceCollectionExtensions
{
    /// <summary>
    /// Registers the simulated model with a copy of <paramref name="options"/>, after validating them
    /// (throws <see cref="InvalidOperationException"/> naming each bad setting).
    /// </summary>
    public static IServiceCollection AddSimulatedModel(this IServiceCollection services, SimulatedModelOptions options)
    {
        options.Validate();
        services.AddRoutingCore();
        services.AddSingleton(options.Clone());
        services.AddSingleton(new SimulatedModelStats());
        services.AddSingleton(new FaultOverride(TimeProvider.System));
        services.AddSingleton<ChatCompletionsEndpoint>();
        return services;
    }

    /// <summary>
    /// Registers the simulated model with options bound from the section <see cref="SimulatedModelOptions.SectionName"/>
    /// of <paramref name="configuration"/>; a configured <c>FaultMix</c> replaces the default mix.
    /// </summary>
    public static IServiceCollection AddSimulatedModel(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSimulatedModel(SimulatedModelOptionsBinder.Bind(configuration));
}
