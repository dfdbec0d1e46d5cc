namespace Orchestrator.Tests.Docs;

/// <summary>
/// The front page gives the two commands first, stays a front page, and every link and every file the code map names
/// leads somewhere: docs that rot fail here instead of misleading a reader.
/// </summary>
public sealed class When_a_newcomer_reads_the_docs
{
    const string RunIntro = "Run it (embedded: SQLite under `./data`, in-process bus, workers and a simulated model; no servers needed):";
    const string RunCommand = "    dotnet run --project src/Orchestrator";
    const string TestIntro = "Run the whole test suite (installs and starts PostgreSQL and RabbitMQ on 127.0.0.1 itself):";
    const string TestCommand = "    ./scripts/test.sh";

    static string Read(string relativePath) => File.ReadAllText(Path.Combine(RepositoryDocs.Root, relativePath));

    [Fact]
    public void Should_open_the_readme_with_the_command_that_runs_it_and_then_the_one_that_tests_it()
    {
        var top = File.ReadLines(Path.Combine(RepositoryDocs.Root, "README.md")).Take(10).ToList();

        var run = top.IndexOf(RunCommand);
        var test = top.IndexOf(TestCommand);
        Assert.True(run >= 0, $"the first 10 lines of README.md lack '{RunCommand}':\n{string.Join('\n', top)}");
        Assert.True(test > run, $"'{TestCommand}' must follow '{RunCommand}' within the first 10 lines of README.md:\n{string.Join('\n', top)}");
        Assert.Equal(RunIntro, IntroOf(top, run));
        Assert.Equal(TestIntro, IntroOf(top, test));
    }

    [Fact]
    public void Should_keep_the_readme_a_front_page_of_at_most_250_lines()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryDocs.Root, "README.md")).Length;
        Assert.True(lines <= 250, $"README.md has {lines} lines; move detail into docs/ and link to it");
    }

    [Fact]
    public void Should_point_every_relative_link_at_a_file_that_exists()
    {
        var pages = RepositoryDocs.Pages();
        Assert.Contains(pages, p => p.EndsWith(Path.Combine("docs", "architecture.md"), StringComparison.Ordinal));

        var broken = pages
            .SelectMany(page => RepositoryDocs.BrokenLinks(page, File.ReadAllText(page), ReadIfExists)
                .Select(problem => $"{Path.GetRelativePath(RepositoryDocs.Root, page)}: {problem}"))
            .ToList();
        Assert.True(broken.Count == 0, "broken links:\n" + string.Join('\n', broken));
    }

    [Fact]
    public void Should_name_only_source_files_that_exist_in_the_code_map()
    {
        var named = RepositoryDocs.NamedSourceFiles(Read(Path.Combine("docs", "architecture.md")));
        Assert.True(named.Count >= 20, $"the code map names only {named.Count} source files: {string.Join(", ", named)}");

        var existing = RepositoryDocs.SourceFileNames();
        var missing = named.Where(name => !existing.Contains(name)).ToList();
        Assert.True(missing.Count == 0, "docs/architecture.md names files that are not under src/: " + string.Join(", ", missing));
    }

    [Fact]
    public void Should_catch_a_link_to_a_missing_file_or_heading()
    {
        var page = Path.Combine(RepositoryDocs.Root, "docs", "made-up.md");
        const string markdown = """
            # Made up

            See [the concepts](concepts.md#retries), [nowhere](no-such-page.md), [no heading](concepts.md#no-such-heading),
            [here](#made-up), [the web](https://example.com/x.md) and `[code](not-a-link.md)`.

                [indented code](not-a-link-either.md)
            """;

        var broken = RepositoryDocs.BrokenLinks(page, markdown, ReadIfExists);

        Assert.Equal(2, broken.Count);
        Assert.Contains(broken, b => b.StartsWith("no-such-page.md:", StringComparison.Ordinal));
        Assert.Contains(broken, b => b.StartsWith("concepts.md#no-such-heading:", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_catch_a_made_up_file_name_in_the_code_map()
    {
        var named = RepositoryDocs.NamedSourceFiles("1. `RequestsEndpoints.cs` hands the body to `NoSuchParser.cs`.");
        var existing = RepositoryDocs.SourceFileNames();

        Assert.Equal(["RequestsEndpoints.cs", "NoSuchParser.cs"], named);
        Assert.Contains("RequestsEndpoints.cs", existing);
        Assert.DoesNotContain("NoSuchParser.cs", existing);
    }

    [Fact]
    public void Should_give_headings_the_anchors_github_gives_them()
    {
        var anchors = RepositoryDocs.Anchors("""
            # Timeouts, deadlines, cancellation
            ## Publishing from .NET
            ## A request's attempts
            ### Publishing `InferenceRequested`
            ## Notes
            ## Notes
            """);

        string[] expected = ["timeouts-deadlines-cancellation", "publishing-from-net", "a-requests-attempts", "publishing-inferencerequested", "notes", "notes-1"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), anchors.Order(StringComparer.Ordinal));
    }

    /// <summary>The line that introduces a command: the nearest non-blank line above it.</summary>
    static string? IntroOf(List<string> lines, int index)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            if (lines[i].Trim().Length > 0)
                return lines[i];
        }
        return null;
    }

    static string? ReadIfExists(string path) => File.Exists(path) ? File.ReadAllText(path) : null;
}
