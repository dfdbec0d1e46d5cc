using System.Diagnostics;

namespace Orchestrator.Tests.Docs;

/// <summary>
/// The README runs <c>dotnet run --project src/Orchestrator</c> and says the embedded <c>./data</c> is relative to the
/// working directory: <c>dotnet run</c> must not switch to the project's folder, as the Web SDK does by default.
/// </summary>
public sealed class When_a_newcomer_runs_it_from_the_repository_root
{
    [Fact]
    public async Task Should_run_it_in_the_callers_working_directory()
    {
        var project = Path.Combine(RepositoryDocs.Root, "src", "Orchestrator", "Orchestrator.csproj");

        var workingDirectory = await EvaluateAsync(project, "RunWorkingDirectory");

        // Empty: dotnet run starts the program where it was itself started.
        Assert.Equal("", workingDirectory);
    }

    static async Task<string> EvaluateAsync(string project, string property)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryDocs.Root,
        };
        foreach (var argument in new[] { "msbuild", project, $"-getProperty:{property}", "-nologo" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"dotnet msbuild exited {process.ExitCode}: {await errors}{await output}");
        return (await output).Trim();
    }
}
