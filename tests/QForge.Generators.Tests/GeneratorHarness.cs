using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace QForge.Generators.Tests;

/// <summary>Compiles source against the QForge runtime and runs the generator over it.</summary>
internal static class GeneratorHarness
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    private static readonly ImmutableArray<MetadataReference> References = BuildReferences();

    private static ImmutableArray<MetadataReference> BuildReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.Add(typeof(Rng).Assembly.Location);
        paths.Add(typeof(Microsoft.Extensions.Configuration.IConfiguration).Assembly.Location);
        return [.. paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create(
        "QForge.GeneratorTest",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(
        [new QForgeGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the generated files, the generator's diagnostics and the final compilation's diagnostics.</summary>
    public static GeneratorOutput Run(params string[] sources)
    {
        var compilation = Compile(sources);
        var driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var result = driver.GetRunResult();
        var files = result.GeneratedTrees.Select(t => (Path.GetFileName(t.FilePath), t.GetText().ToString())).ToList();
        var compileDiagnostics = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        return new GeneratorOutput(files, [.. generatorDiagnostics], compileDiagnostics, driver, compilation);
    }
}

internal sealed record GeneratorOutput(
    List<(string HintName, string Source)> Files,
    List<Diagnostic> GeneratorDiagnostics,
    List<Diagnostic> CompilationDiagnostics,
    GeneratorDriver Driver,
    CSharpCompilation Input)
{
    public string File(string suffix) => Files.Single(f => f.HintName.EndsWith(suffix, StringComparison.Ordinal)).Source;
}
