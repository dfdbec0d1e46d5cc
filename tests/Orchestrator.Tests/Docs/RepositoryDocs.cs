using System.Text;
using System.Text.RegularExpressions;

namespace Orchestrator.Tests.Docs;

/// <summary>
/// Reads the repository's Markdown the way a newcomer follows it: where the files are, which links they hold, which
/// source files the code map names. Pure functions over text, so the specs can also feed them made-up pages.
/// </summary>
public static partial class RepositoryDocs
{
    public static string Root { get; } = FindRoot();

    /// <summary>The pages whose links must hold: the front page, the contributor guide, the manual and the bench notes.</summary>
    public static IReadOnlyList<string> Pages()
    {
        var pages = new List<string> { Path.Combine(Root, "README.md"), Path.Combine(Root, "CONTRIBUTING.md") };
        var docs = Path.Combine(Root, "docs");
        if (Directory.Exists(docs))
            pages.AddRange(Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        var bench = Path.Combine(Root, "bench", "README.md");
        if (File.Exists(bench))
            pages.Add(bench);
        return pages;
    }

    /// <summary>The targets of inline (<c>[text](target)</c>) and reference (<c>[id]: target</c>) links, outside code.</summary>
    public static IReadOnlyList<string> Links(string markdown)
    {
        var prose = WithoutCode(markdown);
        return InlineLink().Matches(prose).Select(m => m.Groups["target"].Value)
            .Concat(ReferenceLink().Matches(prose).Select(m => m.Groups["target"].Value))
            .ToList();
    }

    /// <summary>Links of a page that lead nowhere: a relative path with no file or folder there, or an anchor no heading has.</summary>
    public static IReadOnlyList<string> BrokenLinks(string pagePath, string markdown, Func<string, string?> readPage)
    {
        var broken = new List<string>();
        var folder = Path.GetDirectoryName(pagePath)!;
        foreach (var link in Links(markdown))
        {
            if (IsExternal(link))
                continue;
            var hash = link.IndexOf('#', StringComparison.Ordinal);
            var path = hash < 0 ? link : link[..hash];
            var anchor = hash < 0 ? null : link[(hash + 1)..];

            if (path.Length == 0)
            {
                // An anchor on this very page.
                if (anchor is { Length: > 0 } && !Anchors(markdown).Contains(anchor))
                    broken.Add($"{link}: no heading #{anchor} on this page");
                continue;
            }
            var target = Path.GetFullPath(Path.Combine(folder, Uri.UnescapeDataString(path)));
            if (!File.Exists(target) && !Directory.Exists(target))
            {
                broken.Add($"{link}: no file {target}");
                continue;
            }
            if (anchor is { Length: > 0 } && target.EndsWith(".md", StringComparison.OrdinalIgnoreCase)
                && readPage(target) is { } text && !Anchors(text).Contains(anchor))
            {
                broken.Add($"{link}: no heading #{anchor} in {target}");
            }
        }
        return broken;
    }

    /// <summary>The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered.</summary>
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        // Inline code stays: GitHub keeps its text in the anchor and drops only the backticks.
        foreach (Match heading in Heading().Matches(WithoutCode(markdown, blankInlineCode: false)))
        {
            var text = heading.Groups["text"].Value.Trim().ToLowerInvariant();
            var slug = new StringBuilder();
            foreach (var c in text)
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                    slug.Append(c);
                else if (c == ' ')
                    slug.Append('-');
            }
            var anchor = slug.ToString();
            for (var n = 1; !anchors.Add(anchor); n++)
                anchor = $"{slug}-{n}";
        }
        return anchors;
    }

    /// <summary>Every distinct <c>Name.cs</c> a page names.</summary>
    public static IReadOnlyList<string> NamedSourceFiles(string markdown) =>
        SourceFileName().Matches(markdown).Select(m => m.Value).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The names of every C# file under <c>src/</c>, build output left out.</summary>
    public static IReadOnlySet<string> SourceFileNames()
    {
        var src = Path.Combine(Root, "src");
        var separator = Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{separator}bin{separator}", StringComparison.Ordinal) &&
                        !f.Contains($"{separator}obj{separator}", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
    }

    static bool IsExternal(string link) =>
        ExternalScheme().IsMatch(link);

    /// <summary>The text with fenced and indented code blocks blanked out, and inline code unless asked to keep it.</summary>
    static string WithoutCode(string markdown, bool blankInlineCode = true)
    {
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var kept = new StringBuilder();
        var fenced = false;
        var previousBlank = true;
        var indented = false;
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                kept.Append('\n');
                continue;
            }
            var blank = line.Trim().Length == 0;
            // An indented block starts after a blank line and runs until a line that is neither blank nor indented.
            indented = line.StartsWith("    ", StringComparison.Ordinal) && (indented || previousBlank) || (indented && blank);
            previousBlank = blank;
            kept.Append(fenced || indented ? "" : blankInlineCode ? InlineCode().Replace(line, "") : line).Append('\n');
        }
        return kept.ToString();
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

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^\s{0,3}\[[^\]]+\]:\s+(?<target>\S+)", RegexOptions.Multiline)]
    private static partial Regex ReferenceLink();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"\b[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\.cs\b")]
    private static partial Regex SourceFileName();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex ExternalScheme();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex InlineCode();
}
