using System.Text.RegularExpressions;

namespace AdlsOnboarding.Tests.Unit;

/// <summary>
/// The README stays what a newcomer reads first (at most 15 KB), and every relative link in it and in <c>docs/*.md</c>
/// reaches a file that exists, and a heading there when it names one.
/// </summary>
public sealed partial class DocumentationTests
{
    private const int MaxReadmeBytes = 15_000;

    private static readonly string Root = AdlsOnboarding.Tests.Api.LocalFiles.Root;

    public static TheoryData<string> MarkdownFiles()
    {
        TheoryData<string> data = ["README.md"];
        foreach (string file in Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Root, file).Replace('\\', '/'));
        }

        return data;
    }

    [Fact]
    public void Readme_IsAtMost15Kilobytes()
    {
        long size = new FileInfo(Path.Combine(Root, "README.md")).Length;

        Assert.True(size <= MaxReadmeBytes, $"README.md is {size} bytes; keep it at most {MaxReadmeBytes} and move reference material to docs/.");
    }

    [Fact]
    public void Readme_KeepsTheTwoCommands()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));

        Assert.Contains("scripts/run-local.sh", readme, StringComparison.Ordinal);
        Assert.Contains("scripts/test.sh", readme, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root, "scripts", "run-local.sh")));
        Assert.True(File.Exists(Path.Combine(Root, "scripts", "test.sh")));
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void MarkdownFile_EveryRelativeLinkResolves(string file)
    {
        string path = Path.Combine(Root, file);
        string text = WithoutCodeBlocks(File.ReadAllText(path));
        List<string> broken = [];
        foreach (Match match in LinkPattern().Matches(text))
        {
            string target = match.Groups["target"].Value;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            int hash = target.IndexOf('#', StringComparison.Ordinal);
            string filePart = hash < 0 ? target : target[..hash];
            string? anchor = hash < 0 ? null : target[(hash + 1)..];
            string resolved = filePart.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, filePart));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add($"{target}: no such file");
                continue;
            }

            if (anchor is not null && resolved.EndsWith(".md", StringComparison.Ordinal)
                && !Anchors(File.ReadAllText(resolved)).Contains(anchor))
            {
                broken.Add($"{target}: no heading with that anchor");
            }
        }

        Assert.True(broken.Count == 0, $"{file} has broken links:\n{string.Join('\n', broken)}");
    }

    /// <summary>The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        HashSet<string> anchors = new(StringComparer.Ordinal);
        Dictionary<string, int> seen = new(StringComparer.Ordinal);
        foreach (Match heading in HeadingPattern().Matches(WithoutCodeBlocks(markdown)))
        {
            string slug = SlugDropPattern().Replace(heading.Groups["title"].Value.Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-');
            int count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }

        return anchors;
    }

    private static string WithoutCodeBlocks(string markdown) => FencePattern().Replace(markdown, string.Empty);

    [GeneratedRegex(@"\[[^\]]*\]\((?<target>[^)\s]+)\)")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"^#{1,6} (?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"[^\p{L}\p{Nd} _-]")]
    private static partial Regex SlugDropPattern();

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencePattern();
}
