using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace QForge.Generators.Tests;

/// <summary>
/// Verify's conventions without Verify (it is not served here): each generated file is compared with
/// <c>Snapshots/{Test}.{File}.verified.cs</c>. On a difference the test fails with a unified diff and writes
/// <c>.received.cs</c> beside it; set <c>QFORGE_ACCEPT_SNAPSHOTS=1</c> to accept the received files.
/// The generator's version is scrubbed to <c>VERSION</c>.
/// </summary>
internal static class SnapshotAssert
{
    public const string AcceptVariable = "QFORGE_ACCEPT_SNAPSHOTS";

    public static void Matches(GeneratorOutput output, [CallerMemberName] string test = "", [CallerFilePath] string sourceFile = "")
    {
        Assert.Empty(output.GeneratorDiagnostics);
        Assert.True(output.CompilationDiagnostics.Count == 0,
            "the generated code must compile without warnings:\n" + string.Join("\n", output.CompilationDiagnostics));
        Assert.NotEmpty(output.Files);
        string directory = Path.Combine(Path.GetDirectoryName(sourceFile)!, "Snapshots");
        var failures = new StringBuilder();
        foreach (var (hint, source) in output.Files)
        {
            string name = $"{test}.{hint.Replace(".g.cs", "")}";
            string verified = Path.Combine(directory, name + ".verified.cs");
            string received = Path.Combine(directory, name + ".received.cs");
            string actual = Scrub(source);
            string expected = File.Exists(verified) ? File.ReadAllText(verified) : "";
            if (expected == actual)
            {
                File.Delete(received);
                continue;
            }
            if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
            {
                File.WriteAllText(verified, actual);
                File.Delete(received);
                continue;
            }
            File.WriteAllText(received, actual);
            failures.AppendLine($"Snapshot {name} differs ({(File.Exists(verified) ? "changed" : "new")}); received written to {received}. Set {AcceptVariable}=1 to accept.");
            failures.AppendLine(UnifiedDiff(expected, actual));
        }
        string[] stale = Directory.Exists(directory)
            ? Directory.GetFiles(directory, $"{test}.*.verified.cs").Select(f => Path.GetFileName(f))
                .Where(f => !output.Files.Any(o => f == $"{test}.{o.HintName.Replace(".g.cs", "")}.verified.cs")).ToArray()
            : [];
        if (stale.Length > 0) failures.AppendLine("Snapshots no longer generated: " + string.Join(", ", stale));
        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static string Scrub(string source) =>
        source.Replace($"\"QForge.Generators\", \"{Emitter.Version}\"", "\"QForge.Generators\", \"VERSION\"").TrimStart('\uFEFF');

    private static string UnifiedDiff(string expected, string actual)
    {
        var diff = new InlineDiffBuilder(new DiffPlex.Differ()).BuildDiffModel(expected, actual);
        var text = new StringBuilder();
        foreach (var line in diff.Lines)
        {
            string prefix = line.Type switch { ChangeType.Inserted => "+ ", ChangeType.Deleted => "- ", _ => "  " };
            if (line.Type != ChangeType.Unchanged) text.Append(line.Position is { } p ? $"{p,4} " : "     ").Append(prefix).AppendLine(line.Text);
        }
        return text.ToString();
    }
}
