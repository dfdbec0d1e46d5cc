using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Orchestrator.ServiceDefaults;

/// <summary>The one way options are bound and checked in every process: a section, the class's own check, at start.</summary>
public static class ValidatedOptionsExtensions
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to the configuration section <paramref name="sectionName"/> and checks it with
    /// <see cref="IValidatedOptions.Problem"/> when the host starts: a bad value fails the start with an
    /// <see cref="OptionsValidationException"/> whose message names the setting.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string sectionName)
        where T : class, IValidatedOptions
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, ProblemValidator<T>>());
        return services.AddOptions<T>().BindConfiguration(sectionName).ValidateOnStart();
    }

    /// <summary>
    /// Reads <typeparamref name="T"/> from <paramref name="sectionName"/> now, bound and checked as
    /// <see cref="AddValidatedOptions{T}"/> does, for the few values that decide what is registered (the store, the
    /// transport, the scheduler's threads). Throws the same <see cref="OptionsValidationException"/> a start would.
    /// </summary>
    public static T GetValidatedOptions<T>(this IConfiguration configuration, string sectionName)
        where T : class, IValidatedOptions, new()
    {
        var options = configuration.GetSection(sectionName).Get<T>() ?? new T();
        return options.Problem() is { } problem
            ? throw new OptionsValidationException(Options.DefaultName, typeof(T), [problem])
            : options;
    }

    sealed class ProblemValidator<T> : IValidateOptions<T>
        where T : class, IValidatedOptions
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}
