namespace Orchestrator.Chaos;

/// <summary>Where the repository and the built executables are: the configuration this runner was built with.</summary>
public static class RepoLayout
{
    public static string Root { get; } = FindRoot();

    static string Configuration => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        ? "Release"
        : "Debug";

    public static string Orchestrator => Built("Orchestrator", "Orchestrator.dll");
    public static string Workers => Built("Workers", "Orchestrator.Workers.dll");
    public static string SimulatedModel => Built("SimulatedModel", "Orchestrator.SimulatedModel.dll");
    public static string InfraCtl => Path.Combine(Root, "scripts", "infra-ctl.sh");

    static string Built(string project, string dll)
    {
        var path = Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build the solution first (dotnet build Orchestrator.sln -c {Configuration})");
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }
}
