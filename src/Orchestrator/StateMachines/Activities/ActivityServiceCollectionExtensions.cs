namespace Orchestrator.StateMachines.Activities;

public static class ActivityServiceCollectionExtensions
{
    /// <summary>
    /// The state machine's activities. They keep no state, so one instance each serves every message; registered,
    /// they are resolved instead of built by reflection for each message.
    /// </summary>
    public static IServiceCollection AddStateMachineActivities(this IServiceCollection services)
    {
        services.AddSingleton<DispatchHold>();
        services.AddSingleton<RequestAdmission>();
        services.AddSingleton<DecideRetryActivity>();
        services.AddSingleton<WaitForBreakerActivity>();
        services.AddSingleton<ReviewGateActivity>();
        return services;
    }
}
